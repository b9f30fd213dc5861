"""The attacks without an exact reference, checked against the peer that is right for each:
success rate at least the peer's minus 2 points, mean L2 (or L_inf) of the successful examples
at most 1.05x the peer's, same model, images and budget. MIM agrees with torchattacks exactly."""

from __future__ import annotations

import pytest
import torch

from advsal.attacks import ATTACKS

torchattacks = pytest.importorskip("torchattacks")
fb = pytest.importorskip("foolbox")


@pytest.fixture(scope="module")
def batch(mnist_small, trained_model):
    from advsal.training import as_float

    x = as_float(mnist_small.x["test"][:64])
    with torch.no_grad():
        y = trained_model(x).argmax(1)  # attack f's own predictions: every image starts correct
    return x, y


def _quality(model, x, x_adv, y, p=2):
    with torch.no_grad():
        fooled = model(x_adv).argmax(1) != y
    norms = (x_adv - x).flatten(1).norm(p=p, dim=1)
    return fooled.float().mean().item(), norms[fooled].mean().item()


def _assert_as_good(ours, peer, name):
    (s_o, n_o), (s_p, n_p) = ours, peer
    assert s_o >= s_p - 0.02, f"{name}: success {s_o:.3f} vs peer {s_p:.3f}"
    assert n_o <= 1.05 * n_p, f"{name}: mean norm {n_o:.4f} vs peer {n_p:.4f}"


def test_mim_matches_torchattacks(trained_model, images):
    x, y = images
    ours = ATTACKS.get("mim")(
        trained_model, eps=0.15, steps=10, abs_stepsize=0.015, decay=1.0, label="true"
    )(x, y)
    ref = torchattacks.MIFGSM(trained_model, eps=0.15, alpha=0.015, steps=10, decay=1.0)(x, y)
    assert (ours - ref).abs().max() <= 1e-5


@pytest.mark.parametrize(
    "name,peer_cls,p",
    [("deepfool", "L2DeepFoolAttack", 2), ("deepfool_linf", "LinfDeepFoolAttack", float("inf"))],
)
def test_deepfool_as_good_as_foolbox(trained_model, batch, name, peer_cls, p):
    x, y = batch
    ours = ATTACKS.get(name)(trained_model, steps=50, overshoot=0.02, candidates=10)(x, y)
    fmodel = fb.PyTorchModel(trained_model, bounds=(0, 1))
    peer = getattr(fb.attacks, peer_cls)(steps=50, candidates=10, overshoot=0.02)
    ref = peer.run(fmodel, x, fb.criteria.Misclassification(y))
    _assert_as_good(
        _quality(trained_model, x, ours, y, p), _quality(trained_model, x, ref, y, p), name
    )


def test_cw_as_good_as_foolbox_with_failures_excluded(trained_model, batch):
    x, y = batch
    x, y = x[:32], y[:32]
    kw = {"binary_search_steps": 4, "steps": 50, "confidence": 0.0, "initial_const": 1e-2}
    ours = ATTACKS.get("cw")(trained_model, lr=0.1, **kw)(x, y)
    fmodel = fb.PyTorchModel(trained_model, bounds=(0, 1))
    ref = fb.attacks.L2CarliniWagnerAttack(stepsize=0.1, **kw).run(
        fmodel, x, fb.criteria.Misclassification(y)
    )
    # success is measured here, not taken from foolbox (which counts failures as successes)
    _assert_as_good(_quality(trained_model, x, ours, y), _quality(trained_model, x, ref, y), "cw")
    with torch.no_grad():
        failed = trained_model(ours).argmax(1) == y
    assert torch.equal(ours[failed], x[failed])  # a failure is the clean image, never a blank


def test_jsma_as_good_as_torchattacks(trained_model, batch):
    x, y = batch
    x, y = x[:16], y[:16]
    ours = ATTACKS.get("jsma")(trained_model, theta=1.0, gamma=0.1, target="next", label="true")(
        x, y
    )
    ref = torchattacks.JSMA(trained_model, theta=1.0, gamma=0.1)(x, y)  # target (y + 1) mod 10
    _assert_as_good(_quality(trained_model, x, ours, y), _quality(trained_model, x, ref, y), "jsma")
    changed = ((ours - x).abs() > 1e-6).flatten(1).float().sum(1)
    assert changed.max() <= 2 * ((784 * 0.1 + 1) // 2 + 1)


def test_jsma_refuses_large_images(trained_model):
    atk = ATTACKS.get("jsma")(trained_model)
    with pytest.raises(ValueError, match="max_features"):
        atk.check_shape((3, 224, 224))


def test_eps_less_attacks_are_batch_independent(trained_model, batch):
    x, y = batch
    for name, kw in [
        ("deepfool", {"steps": 20}),
        ("jsma", {"gamma": 0.05}),
        ("cw", {"steps": 20, "binary_search_steps": 2}),
    ]:
        atk = ATTACKS.get(name)(trained_model, **kw)
        whole = atk(x[:16], y[:16])
        parts = atk.run(x[:16], y[:16], batch_size=5, progress=False)
        assert (whole - parts).abs().max() <= 1e-5, name
