"""model_based_saliency2020 Sec. 3.7 and App. C: the white-box attack on a classifier guarded by a
detector (Algorithm 1 for JSD, 2 for SPD, 3 for SMD, Eq. 3/4 alternated for ID).

T rounds; in each, per image: an FGSM-like step on f's loss while the image does not fool f
(Eq. 3), then a step that lowers the detector's "adversarial" logit while the detector still
flags it (Eq. 4). Every step is clipped to [0, 1] and to the eps ball around x. One class for
all four detectors: what differs is what the detector reads, and that is the objective's
``detection(x)`` (through the saliency map where the detector reads one).

``through`` picks the detector gradient:

- ``"saliency"`` (default): the exact gradient of D(x, S(x)) in x, through the saliency model
  (double backward for gradient saliency);
- ``"input"``: the appendix's algorithms as written: the gradient w.r.t. the detector network's
  input with the map held fixed (JSD: the image channels of [x, s]; SPD: the salient pixels
  s * x; SMD: the map s), used as the step on x; a one-channel map's step is repeated over the
  image's channels.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from advsal.attacks.base import ATTACKS, project_linf
from advsal.attacks.gradient import _Iterative

THROUGH = ("saliency", "input")


@ATTACKS.register("whitebox")
class WhiteBox(_Iterative):
    """White-box attack on f and the detector it names; ``steps`` is the paper's T (5)."""

    title = "White-box (App. C)"
    retrains_detector = True  # run per detector it names, with that detector's adversarial training
    correct_only = True  # its classifier steps move only the images f still gets right

    def __init__(self, model, eps=None, steps=5, rel_stepsize=0.25, through="saliency", **kw):
        super().__init__(model, eps=eps, steps=steps, rel_stepsize=rel_stepsize, **kw)
        if through not in THROUGH:
            raise ValueError(f"through must be one of {', '.join(THROUGH)}, got {through!r}")
        self.through = through

    def grad_detector(self, x):
        """``through: saliency``: the exact gradient (the base's); ``input``: App. C's."""
        obj = self.objective
        if self.through == "saliency":
            return super().grad_detector(x)
        if not hasattr(obj.detector, "net_input"):
            raise ValueError(
                f"through: input needs a detector whose network reads one input tensor "
                f"(ID, JSD, SMD, SPD), not {type(obj.detector).__name__}"
            )
        s = obj.saliency.attribute(x) if obj.detector.needs_saliency else None
        inp = obj.detector.net_input(x, s).detach().requires_grad_(True)
        logit = obj.detector.net(inp).squeeze(1)
        (g,) = torch.autograd.grad(F.softplus(-logit).sum(), inp)
        g = g[:, : x.shape[1]]  # JSD: the image channels of [x, s]
        return g.expand_as(x) if g.shape[1] == 1 else g

    def perturb(self, x, y):
        if self.objective.detector is None:
            raise ValueError("the white-box attack needs the detector it attacks (against:)")
        x_adv = x.clone()
        for _ in range(self.steps):
            with torch.no_grad():
                todo = self.objective.classifier(x_adv).argmax(1) == y  # f not fooled yet
            if todo.any():
                step = self.alpha * self.grad_classifier(x_adv[todo], y[todo]).sign()
                x_adv[todo] = project_linf(x_adv[todo] + step, x[todo], self.eps)
            todo = self.objective.flags(x_adv)  # the detector not fooled yet
            if todo.any():
                step = self.alpha * self.grad_detector(x_adv[todo]).sign()
                x_adv[todo] = project_linf(x_adv[todo] + step, x[todo], self.eps)
        return x_adv
