"""Nguyen 2018 Sec. 3.1: the Latent Attention Network as a trained saliency instance."""

from __future__ import annotations

import pytest
import torch

from advsal.saliency import SALIENCY
from advsal.training import as_float


def _fit(model, s, beta, epochs=4):
    lan = SALIENCY.get("lan")(model, hidden=64, beta=beta)
    x, y = as_float(s.x["train"]), s.y["train"]
    xv, yv = as_float(s.x["val"][:50]), s.y["val"][:50]
    return lan, lan.fit(x, y, xv, yv, epochs=epochs, lr=3e-3, batch_size=50, seed=0)


@pytest.fixture(scope="module")
def fitted(trained_model, mnist_small):
    return {beta: _fit(trained_model, mnist_small, beta) for beta in (0.5, 8.0)}


def test_lan_learns_eq9_and_beta_trades_corruption_for_agreement(fitted, images):
    lan, history = fitted[0.5]
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    cheap, keen = fitted[0.5][1][-1], fitted[8.0][1][-1]
    assert keen["val_corrupted"] > cheap["val_corrupted"]  # beta buys more corruption ...
    assert cheap["val_agree"] >= keen["val_agree"] - 0.02  # ... at the price of agreement
    assert cheap["val_agree"] > 0.7
    x = images[0]
    m = lan.attribute(x)
    assert m.shape == x.shape and m.min() >= 0 and m.max() <= 1


def test_lan_state_round_trips_and_the_mask_is_differentiable(fitted, trained_model, images):
    lan = fitted[0.5][0]
    x = images[0][:8]
    again = SALIENCY.get("lan")(trained_model, hidden=64, beta=0.5)
    again.load_state(lan.state())
    torch.testing.assert_close(again.attribute(x), lan.attribute(x))
    assert again.meta["noise"] == lan.meta["noise"] and lan.meta["noise"][1] > 0
    xg = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(lan.attribute(xg, create_graph=True).sum(), xg)
    assert g.abs().sum() > 0
    with pytest.raises(RuntimeError, match="not trained"):
        SALIENCY.get("lan")(trained_model).attribute(x)
    with pytest.raises(ValueError, match="beta"):
        SALIENCY.get("lan")(trained_model, beta=-1)
