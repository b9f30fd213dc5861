"""Metzen et al. 2017: the ResNet of Fig. 1 with AD(0)..AD(4), the detector subnetwork on the
frozen classifier, the dynamic adversary and the attachment-depth sweep."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from advsal.attacks import ATTACKS
from advsal.detectors import DETECTORS, load_detector, save_detector
from advsal.detectors.metzen import collect
from advsal.models import build
from advsal.stages.depth import sweep_attack
from advsal.training import fit_detector, predict


def _resnet(shape=(1, 28, 28), **kw):
    torch.manual_seed(0)
    return build("resnet", shape, **{"blocks": 1, "width": 4, **kw}).eval()


def test_resnet32_has_32_layers_and_five_attachment_points():
    model = build("resnet", (3, 32, 32), blocks=5, width=16)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3)]
    dense = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert len(convs) + len(dense) == 32  # 6n + 2 with n = 5 (shortcuts are 1x1)
    feats = collect(model, model.attachment_points, torch.zeros(2, 3, 32, 32))
    shapes = [tuple(feats[p].shape[1:]) for p in model.attachment_points]
    assert shapes == [(3, 32, 32), (16, 32, 32), (16, 32, 32), (32, 16, 16), (64, 8, 8)]
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)


def test_detector_drops_pools_where_the_caption_says():
    clf = _resnet()
    cls = DETECTORS.get("metzen")
    pools = [
        sum(isinstance(m, nn.MaxPool2d) for m in cls((1, 28, 28), classifier=clf, layer=i).head)
        for i in range(5)
    ]
    assert pools == [2, 2, 2, 1, 0]
    with pytest.raises(ValueError, match=r"AD\(5\) not in AD\(0\)..AD\(4\)"):
        cls((1, 28, 28), classifier=clf, layer=5)
    with pytest.raises(ValueError, match="name a layer"):
        cls((1, 28, 28), classifier=build("mnist_net", (1, 28, 28)), layer=2)
    named = cls((1, 28, 28), classifier=build("mnist_net", (1, 28, 28)), layer="relu2")
    assert named(torch.rand(3, 1, 28, 28)).shape == (3,)


def test_classifier_stays_frozen_while_the_detector_learns(tmp_path):
    """A separable case at AD(1); f's weights and batch-norm statistics do not move."""
    clf = _resnet((1, 12, 12))
    before = {k: v.clone() for k, v in clf.state_dict().items()}
    g = torch.Generator().manual_seed(0)
    x = torch.rand(160, 1, 12, 12, generator=g) * 0.5
    stripes = torch.zeros(1, 1, 12, 12)
    stripes[..., ::3] = 0.4
    inputs = [torch.cat([x, (x + stripes).clamp(0, 1)])]
    labels = torch.cat([torch.zeros(len(x)), torch.ones(len(x))])
    det = DETECTORS.get("metzen")((1, 12, 12), classifier=clf, layer=1, widths=(8, 16, 16))
    hist = fit_detector(
        det, inputs, labels, inputs, labels, epochs=8, lr=3e-3, batch_size=32, device="cpu", seed=0
    )
    assert hist[-1]["val_acc"] >= 0.95 or max(h["val_acc"] for h in hist) >= 0.95
    for k, v in clf.state_dict().items():
        torch.testing.assert_close(v, before[k], msg=k)
    assert not clf.training
    save_detector(tmp_path / "d.pt", "metzen", det)
    saved = torch.load(tmp_path / "d.pt", weights_only=True)["state_dict"]
    assert not any(k.startswith("classifier.") for k in saved)  # f is not copied into D
    again = load_detector(tmp_path / "d.pt", classifier=clf)
    torch.testing.assert_close(predict(again, inputs), predict(det, inputs))


@pytest.mark.parametrize("layer", [0, 2, 4])
def test_frozen_features_computed_once_train_and_score_as_every_batch_through_f(layer):
    """The cached path (f's features at AD(i) computed once per image set) against the full
    one (every batch of every epoch through f): the same weights, history and scores."""
    clf = _resnet((1, 12, 12))
    g = torch.Generator().manual_seed(1)
    x = (torch.rand(96, 1, 12, 12, generator=g) * 255).to(torch.uint8)  # images as stored
    xa = (x.float() + 40 * torch.rand(x.shape, generator=g)).clamp(0, 255).to(torch.uint8)
    inputs, labels = [torch.cat([x, xa])], torch.cat([torch.zeros(96), torch.ones(96)])
    runs = {}
    for cache in (True, False):
        torch.manual_seed(0)  # the same initial head
        det = DETECTORS.get("metzen")((1, 12, 12), classifier=clf, layer=layer, widths=(8, 8, 8))
        hist = fit_detector(
            det, inputs, labels, inputs, labels, epochs=3, lr=3e-3, batch_size=32,
            device="cpu", seed=0, cache_frozen=cache,
        )  # fmt: skip
        runs[cache] = (det, hist)
    (cached, h_cached), (full, h_full) = runs[True], runs[False]
    for (k, a), (_, b) in zip(cached.state_dict().items(), full.state_dict().items(), strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4, msg=k)
    assert [h["val_acc"] for h in h_cached] == [h["val_acc"] for h in h_full]
    torch.testing.assert_close(predict(cached, inputs), predict(full, inputs), atol=1e-5, rtol=0)
    assert cached.frozen() is not None and not clf.training


class LinearDetector(nn.Module):
    """D(x) = w . x: its input gradient is known, so a sigma = 1 step can be checked exactly."""

    needs_saliency = False

    def __init__(self, w):
        super().__init__()
        self.w = w

    def forward(self, x, s=None):
        return (x.flatten(1) * self.w.flatten()).sum(1)


def test_dynamic_adversary_mixes_the_two_gradient_signs(trained_model, images):
    x, y = images
    w = torch.randn(1, 28, 28, generator=torch.Generator().manual_seed(1))
    det = LinearDetector(w)
    dyn, bim = ATTACKS.get("dynamic"), ATTACKS.get("bim")
    kw = {"eps": 0.1, "steps": 4, "rel_stepsize": 0.25}
    # sigma = 0: the basic iterative method, whatever the detector says
    torch.testing.assert_close(
        dyn(trained_model, sigma=0.0, detector=det, **kw)(x), bim(trained_model, **kw)(x)
    )
    # sigma = 1: every step moves each pixel against sgn(w), D's logit falls, f is ignored
    x_adv = dyn(trained_model, sigma=1.0, detector=det, **kw)(x)
    expected = (x - 0.1 * w.sign()).clamp(0, 1)
    torch.testing.assert_close(x_adv, expected)
    assert (det(x_adv) < det(x)).all()
    # in between: still inside the eps ball, and it both lowers D and changes f
    x_mid = dyn(trained_model, sigma=0.5, detector=det, **kw)(x)
    assert (x_mid - x).abs().max() <= 0.1 + 1e-6
    assert det(x_mid).mean() < det(x).mean()
    with pytest.raises(ValueError, match="needs the detector"):
        dyn(trained_model, sigma=0.5, **kw)(x)


def test_dynamic_adversary_goes_through_the_saliency_map(trained_model, images):
    """Against JSD the detector term differentiates through S(x) (double backward): on a
    smooth classifier its gradient differs from the one with S held fixed."""
    from advsal.attacks.base import Objective
    from advsal.saliency import SALIENCY

    x = images[0][:8]
    smooth = nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.Tanh(), nn.Linear(32, 10))
    sal = SALIENCY.get("gradient")(smooth)
    det = DETECTORS.get("jsd")((1, 28, 28), width=4)
    det.eval()
    obj = Objective(smooth, det, sal)
    xg = x.clone().requires_grad_(True)
    (through,) = torch.autograd.grad(obj.detection(xg).sum(), xg)
    xg2 = x.clone().requires_grad_(True)
    fixed = sal.attribute(x).detach()
    (held,) = torch.autograd.grad(det(xg2, fixed).sum(), xg2)
    assert not torch.allclose(through, held)


def test_depth_sweep_trains_one_head_per_point_on_one_forward():
    clf = _resnet((1, 12, 12))
    batches = []  # f's first layer sees each image set once, not once per head and epoch
    clf.stem.register_forward_hook(
        lambda m, i, o: batches.append(len(i[0])) if len(i[0]) > 1 else None
    )
    g = torch.Generator().manual_seed(0)
    x = {s: torch.rand(40, 1, 12, 12, generator=g) * 0.5 for s in ("train", "val")}
    adv = {s: (v + 0.3).clamp(0, 1) for s, v in x.items()}
    settings = {
        "params": {"widths": [4, 8, 8]},
        "epochs": 10,
        "lr": 3e-3,
        "betas": [0.9, 0.999],
        "batch_size": 20,
    }
    heads = sweep_attack(clf, x, adv, settings, "cpu", seed=0)
    assert sorted(heads) == [0, 1, 2, 3, 4]
    assert [h.point for h, _ in heads.values()] == list(clf.attachment_points)
    assert batches == [80, 80]  # train and val, clean + adversarial, one forward each
    assert max(acc for _, acc in heads.values()) >= 0.9
