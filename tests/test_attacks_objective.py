"""One objective over x for every attack family: f's logits, plus a detector term through a
differentiable saliency map when the attack is told to fool a detector."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from advsal.attacks import ATTACKS
from advsal.attacks.base import Objective
from advsal.detectors import DETECTORS
from advsal.saliency import SALIENCY


class CountingDetector(nn.Module):
    """Says "adversarial" with a fixed logit; counts how often an attack asks it."""

    needs_saliency = False
    needs_classifier = False

    def __init__(self, logit: float):
        super().__init__()
        self.logit, self.calls = logit, 0

    def forward(self, x, s=None):
        self.calls += 1
        return torch.full((len(x),), self.logit) + 0.0 * x.flatten(1).sum(1)


SETTINGS = {
    "fgsm": {"eps": 0.1},
    "bim": {"eps": 0.1, "steps": 2},
    "bim_l2": {"eps": 1.0, "steps": 2},
    "mim": {"eps": 0.1, "steps": 2},
    "deepfool": {"steps": 5, "candidates": 3},
    "deepfool_linf": {"steps": 5, "candidates": 3},
    "cw": {"binary_search_steps": 1, "steps": 5},
    "jsma": {"gamma": 0.02},
    "dynamic": {"eps": 0.1, "steps": 2, "sigma": 0.5},
    "whitebox": {"eps": 0.3, "steps": 2},
    "stadv": {"eps": 200.0, "binary_search_steps": 1, "steps": 3},
}


def test_every_registered_attack_is_covered():
    assert set(SETTINGS) == set(ATTACKS.names())


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_every_family_reads_the_objective(trained_model, images, name):
    x, y = images[0][:4], images[1][:4]
    det = CountingDetector(3.0)
    ATTACKS.get(name)(trained_model, label="true", detector=det, **SETTINGS[name])(x, y)
    assert det.calls > 0


def test_without_a_detector_the_objective_is_f(trained_model, images):
    x, y = images
    torch.testing.assert_close(Objective(trained_model)(x, y), trained_model(x), rtol=0, atol=0)


def test_a_detector_that_flags_everything_makes_deepfool_go_further(trained_model, images):
    """G's margin needs f's margin above the detector penalty, so the step is larger."""
    x, y = images
    plain = ATTACKS.get("deepfool")(trained_model, label="true", steps=20)(x, y)
    harder = ATTACKS.get("deepfool")(
        trained_model, label="true", steps=20, detector=CountingDetector(4.0)
    )(x, y)
    norm = lambda a: (a - x).flatten(1).norm(dim=1).mean()  # noqa: E731
    assert norm(harder) > 1.2 * norm(plain)


def _smooth_model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 3)).double()


def test_saliency_is_differentiable_in_x():
    model = _smooth_model()
    method = SALIENCY.get("gradient")(model)
    x = torch.rand(3, 1, 4, 4, dtype=torch.double, requires_grad=True)
    target = torch.tensor([0, 1, 2])
    plain = method.attribute(x, target)
    torch.testing.assert_close(method.attribute(x, target, create_graph=True), plain)
    assert torch.autograd.gradcheck(lambda t: method.attribute(t, target, create_graph=True), (x,))


def test_an_attack_goes_through_the_saliency_the_detector_reads():
    """With the saliency path cut, the objective's gradient in x is different."""
    model = _smooth_model()
    jsd = DETECTORS.get("jsd")((1, 4, 4), width=4).double().eval()
    method = SALIENCY.get("gradient")(model)
    x = torch.rand(5, 1, 4, 4, dtype=torch.double, requires_grad=True)
    y = torch.zeros(5, dtype=torch.long)

    def grad(sal):
        obj = Objective(model, jsd, sal)
        (g,) = torch.autograd.grad(obj(x, y).sum(), x)
        return g

    class Detached:
        def attribute(self, t, target=None, create_graph=False):
            return method.attribute(t, target).detach()

    assert not torch.allclose(grad(method), grad(Detached()))


def test_a_saliency_detector_needs_its_saliency(trained_model):
    jsd = DETECTORS.get("jsd")((1, 28, 28), width=4)
    with pytest.raises(ValueError, match="saliency"):
        Objective(trained_model, jsd)


def test_an_attack_leaves_the_models_in_the_mode_it_found_them(trained_model, images):
    x, y = images
    det = DETECTORS.get("id")((1, 28, 28), width=4)
    trained_model.eval()
    det.train()
    ATTACKS.get("fgsm")(trained_model, eps=0.1, detector=det)(x, y)
    assert not trained_model.training and det.training
    assert not any(m.training for m in trained_model.modules())
