"""One base class for every attack (the torchattacks shape): ``Attack(model, **params)(x, y)``.

``model`` is any differentiable module returning logits. Later attacks that must also fool a
detector or differentiate through a saliency map receive a wrapper module and override
:meth:`Attack.loss`; the batching, label choice and bookkeeping here stay the same.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from advsal.registry import Registry

ATTACKS: Registry[type[Attack]] = Registry("attack")


class Attack:
    """Batched attack on images in [0, 1].

    Subclasses set ``norm`` ("linf", "l2", "l0" or None) and ``uses_eps`` and implement
    :meth:`perturb` for one batch. ``label`` picks whose label the loss uses: "predicted" (f's own
    prediction, the fix for label leaking) or "true".
    """

    norm: str | None = "linf"
    uses_eps: bool = True
    title: str = ""

    def __init__(self, model: nn.Module, eps: float | None = None, label: str = "predicted"):
        if self.uses_eps and (eps is None or eps <= 0):
            raise ValueError(f"{type(self).__name__} needs eps > 0, got {eps!r}")
        if label not in ("predicted", "true"):
            raise ValueError(f"label must be 'predicted' or 'true', got {label!r}")
        self.model = model
        self.eps = eps
        self.label = label

    # -- the part a subclass writes -------------------------------------------------------
    def perturb(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def loss(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Summed (not averaged) loss so a gradient never depends on the batch size."""
        return F.cross_entropy(logits, y, reduction="sum")

    # -- shared machinery -----------------------------------------------------------------
    def grad(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        x = x.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(self.loss(self.model(x), y), x)
        return g

    def labels(self, x: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        if self.label == "true":
            if y is None:
                raise ValueError("label='true' needs the true labels")
            return y
        with torch.no_grad():
            return self.model(x).argmax(1)

    def __call__(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        was_training = self.model.training
        self.model.eval()
        try:
            x = x.detach()
            x_adv = self.perturb(x, self.labels(x, y))
        finally:
            self.model.train(was_training)
        return x_adv.detach().clamp_(0.0, 1.0)

    def run(self, x, y=None, batch_size: int = 256, device="cpu", progress: bool = True):
        """Attack a whole split in batches on ``device``; returns adversarials on the CPU."""
        out = []
        n_batches = math.ceil(len(x) / batch_size)
        bar = tqdm(range(n_batches), desc=type(self).__name__, disable=not progress, mininterval=5)
        for b in bar:
            sl = slice(b * batch_size, (b + 1) * batch_size)
            yb = None if y is None else y[sl].to(device)
            out.append(self(x[sl].to(device), yb).cpu())
        return torch.cat(out) if out else x.clone()


def project_linf(x_adv: torch.Tensor, x: torch.Tensor, eps: float) -> torch.Tensor:
    return torch.min(torch.max(x_adv, x - eps), x + eps).clamp(0.0, 1.0)


def batch_norms(t: torch.Tensor, p: float) -> torch.Tensor:
    return t.flatten(1).norm(p=p, dim=1)


def project_l2(x_adv: torch.Tensor, x: torch.Tensor, eps: float) -> torch.Tensor:
    delta = x_adv - x
    factor = (eps / (batch_norms(delta, 2) + 1e-12)).clamp(max=1.0)
    return (x + delta * factor.view(-1, *([1] * (x.ndim - 1)))).clamp(0.0, 1.0)


def perturbation_stats(model, x, x_adv, y, batch_size: int = 512, device="cpu") -> dict:
    """Accuracy before/after, success rate among correctly classified, L0/m, L2, L_inf."""
    with torch.no_grad():
        preds = []
        for src in (x, x_adv):
            p = [
                model(src[i : i + batch_size].to(device)).argmax(1).cpu()
                for i in range(0, len(src), batch_size)
            ]
            preds.append(torch.cat(p))
    clean_pred, adv_pred = preds
    correct = clean_pred == y
    delta = (x_adv - x).flatten(1)
    changed = delta.abs() > 1e-6
    fooled = correct & (adv_pred != y)
    return {
        "n": len(x),
        "accuracy_clean": correct.float().mean().item(),
        "accuracy_adv": (adv_pred == y).float().mean().item(),
        "success_rate": (fooled.sum() / correct.sum().clamp(min=1)).item(),
        "l0_frac": changed.float().mean(1).mean().item(),
        "l2": delta.norm(dim=1).mean().item(),
        "linf": delta.abs().amax(1).mean().item() if len(x) else 0.0,
        "l2_success": delta[fooled].norm(dim=1).mean().item() if fooled.any() else float("nan"),
    }
