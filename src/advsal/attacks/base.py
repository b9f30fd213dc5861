"""One base class for every attack (the torchattacks shape): ``Attack(model, **params)(x, y)``.

Every family reads one objective over x, :class:`Objective`: logits ``G(x, y)`` that are f's
logits, lowered for every class but y by the evidence of a detector when the attack is told to
fool one (``detector=``, optionally through a differentiable ``saliency=`` map the detector
reads). Gradient attacks ascend ``loss(G, y)``; DeepFool, C&W and JSMA work on G's margins. So
an adversarial counts as a success only where it fools f and the detector at once.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from advsal.registry import Registry
from advsal.training import batched

ATTACKS: Registry[type[Attack]] = Registry("attack")


class Objective(nn.Module):
    """G(x, y) = f(x) - w * softplus(D(x, S(x))) on every class but y (the true or predicted
    label): f's logits where there is no detector. D's logit says "adversarial"; the softplus
    keeps pushing it down while it is positive and fades once D is fooled."""

    def __init__(self, classifier: nn.Module, detector=None, saliency=None, weight: float = 1.0):
        super().__init__()
        if weight <= 0:
            raise ValueError(f"detector_weight must be > 0, got {weight}")
        self.classifier = classifier
        self.detector = detector
        self.saliency = saliency  # a SaliencyMethod on the same classifier, or None
        self.weight = float(weight)
        if detector is not None and detector.needs_saliency and saliency is None:
            raise ValueError("the detector reads saliency: give the saliency method too")

    def detection(self, x: torch.Tensor) -> torch.Tensor:
        """D's logit of "adversarial", differentiable in x (through the saliency map too)."""
        s = self.saliency.attribute(x, create_graph=True) if self.detector.needs_saliency else None
        return self.detector(x, s)

    def flags(self, x: torch.Tensor) -> torch.Tensor:
        """Whether D calls each image adversarial (its logit > 0), detached."""
        with torch.enable_grad():  # gradient saliency is a gradient even outside an attack
            return self.detection(x).detach() > 0

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        z = self.classifier(x)
        if self.detector is None:
            return z
        others = torch.ones_like(z).scatter_(1, y.view(-1, 1), 0.0)
        return z - others * (self.weight * F.softplus(self.detection(x))).unsqueeze(1)


class Attack:
    """Batched attack on images in [0, 1].

    Subclasses set ``norm`` ("linf", "l2", "l0" or None) and ``uses_eps`` and implement
    :meth:`perturb` for one batch. ``label`` picks whose label the loss uses: "predicted" (f's own
    prediction, the fix for label leaking) or "true".
    """

    norm: str | None = "linf"
    uses_eps: bool = True
    retrains_detector: bool = False  # True: run per detector it attacks, retraining each
    sigma_grid: bool = False  # True: also per sigma (Metzen's dynamic adversary)
    # True: a retraining attack's detector is fitted to this attack where the config names no
    # against_fit (Metzen Sec. 4.1.2 fits the detector to the iterative l_inf attack)
    default_against_fit: bool = False
    # True: works only on the images the network still classifies right for their label
    # (DeepFool; the white-box attack's classifier steps), so its work shrinks with the
    # network's accuracy (hence bench/memory_fit.py attacks f's predicted labels)
    correct_only: bool = False
    title: str = ""

    def __init__(
        self,
        model: nn.Module,
        eps: float | None = None,
        label: str = "predicted",
        detector: nn.Module | None = None,
        saliency=None,
        detector_weight: float = 1.0,
    ):
        if self.uses_eps and (eps is None or eps <= 0):
            raise ValueError(f"{type(self).__name__} needs eps > 0, got {eps!r}")
        if label not in ("predicted", "true"):
            raise ValueError(f"label must be 'predicted' or 'true', got {label!r}")
        self.model = model
        self.objective = Objective(model, detector, saliency, detector_weight)
        self.eps = eps
        self.label = label

    # -- the part a subclass writes -------------------------------------------------------
    def perturb(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def loss(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Summed (not averaged) loss so a gradient never depends on the batch size."""
        return F.cross_entropy(logits, y, reduction="sum")

    # -- shared machinery -----------------------------------------------------------------
    def logits(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The objective's logits G(x, y); every family reads these, never f directly."""
        return self.objective(x, y)

    def grad(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        x = x.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(self.loss(self.logits(x, y), y), x)
        return g

    def grad_classifier(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The gradient of f's own loss (no detector term): J_cls, Eq. 3."""
        x = x.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(self.loss(self.objective.classifier(x), y), x)
        return g

    def grad_detector(self, x: torch.Tensor) -> torch.Tensor:
        """The gradient that raises D's loss on "adversarial", J_det(x, 1) = softplus(-D),
        so ascending it lowers D's logit (through the saliency map D reads): Eq. 4."""
        x = x.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(F.softplus(-self.objective.detection(x)).sum(), x)
        return g

    def labels(self, x: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        if self.label == "true":
            if y is None:
                raise ValueError("label='true' needs the true labels")
            return y
        with torch.no_grad():
            return self.model(x).argmax(1)

    def __call__(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        modes = [(m, m.training) for m in self.objective.modules()]
        # frozen while attacking: a backward pass then computes gradients for x only, never
        # for the weights (1.6x on C&W here), and the caller's model keeps no stale .grad
        trainable = [p for p in self.objective.parameters() if p.requires_grad]
        self.objective.eval()
        try:
            for p in trainable:
                p.requires_grad_(False)
            x = x.detach()
            x_adv = self.perturb(x, self.labels(x, y))
        finally:
            for m, mode in modes:  # as the caller had them (f is usually in eval mode)
                m.training = mode
            for p in trainable:
                p.requires_grad_(True)
        return x_adv.detach().clamp_(0.0, 1.0)

    def run(self, x, y=None, batch_size: int = 256, device="cpu", progress: bool = True):
        """Attack a whole split in batches on ``device``; returns adversarials on the CPU."""
        desc = type(self).__name__ if progress else None
        tensors = [x] if y is None else [x, y]
        return batched(self, tensors, batch_size, device, grad=True, desc=desc, empty=x.clone())


def margin_over(logits: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """max_{k != c} Z_k - Z_c per row: positive exactly when class c is not the top one."""
    own = logits.gather(1, c.view(-1, 1)).squeeze(1)
    return logits.scatter(1, c.view(-1, 1), float("-inf")).amax(1) - own


def pick_targets(x: torch.Tensor, y: torch.Tensor, n_classes: int, how: str) -> torch.Tensor:
    """A target class per image, never its label: "next" ((y + 1) mod C) or "random" (drawn
    from the image itself, so the result never depends on batching)."""
    if how == "next":
        return (y + 1) % n_classes
    key = (x.flatten(1) * 255).round().long().sum(1)
    return (y + 1 + key % (n_classes - 1)) % n_classes


def project_linf(x_adv: torch.Tensor, x: torch.Tensor, eps: float) -> torch.Tensor:
    return torch.min(torch.max(x_adv, x - eps), x + eps).clamp(0.0, 1.0)


def batch_norms(t: torch.Tensor, p: float) -> torch.Tensor:
    return t.flatten(1).norm(p=p, dim=1)


def project_l2(x_adv: torch.Tensor, x: torch.Tensor, eps: float) -> torch.Tensor:
    delta = x_adv - x
    factor = (eps / (batch_norms(delta, 2) + 1e-12)).clamp(max=1.0)
    return (x + delta * factor.view(-1, *([1] * (x.ndim - 1)))).clamp(0.0, 1.0)


def perturbation_stats(
    model, x, x_adv, y, batch_size: int = 512, device="cpu", detected=None
) -> dict:
    """Accuracy before/after, success rate among correctly classified, L0/m, L2, L_inf.

    ``detected`` (a bool per adversarial: an attacked detector flags it) adds ``fools_both``:
    the share of correctly classified images whose adversarial fools f and goes unflagged."""
    clean_pred, adv_pred = (
        batched(lambda b: model(b).argmax(1), [src], batch_size, device) for src in (x, x_adv)
    )
    correct = clean_pred == y
    delta = (x_adv - x).flatten(1)
    changed = delta.abs() > 1e-6
    fooled = correct & (adv_pred != y)
    stats = {
        "n": len(x),
        "accuracy_clean": correct.float().mean().item(),
        "accuracy_adv": (adv_pred == y).float().mean().item(),
        "success_rate": (fooled.sum() / correct.sum().clamp(min=1)).item(),
        "l0_frac": changed.float().mean(1).mean().item(),
        "l2": delta.norm(dim=1).mean().item(),
        "linf": delta.abs().amax(1).mean().item() if len(x) else 0.0,
        "l2_success": delta[fooled].norm(dim=1).mean().item() if fooled.any() else float("nan"),
    }
    if detected is not None:
        both = fooled & ~detected
        stats["fools_both"] = (both.sum() / correct.sum().clamp(min=1)).item()
    return stats
