"""DeepFool (Moosavi-Dezfooli et al. 2016), l_2 and l_inf, batched with convergence masks."""

from __future__ import annotations

import torch

from advsal.attacks.base import ATTACKS, Attack


class _DeepFool(Attack):
    """Linearise f around x, step to the nearest linearised boundary among the top candidates.

    Images that are already misclassified stop costing work (only the active rows are
    forwarded); ``overshoot`` scales the accumulated step as in the paper; ``max_linf`` caps the
    perturbation's l_inf norm as Metzen et al. do on ImageNet.
    """

    uses_eps = False
    correct_only = True

    def __init__(
        self,
        model,
        steps: int = 50,
        overshoot: float = 0.02,
        candidates: int = 10,
        max_linf: float | None = None,
        **kw,
    ):
        super().__init__(model, **kw)
        if steps < 1 or candidates < 2:
            raise ValueError(f"need steps >= 1 and candidates >= 2, got {steps}, {candidates}")
        self.steps, self.overshoot, self.candidates = int(steps), float(overshoot), int(candidates)
        self.max_linf = max_linf

    def _step(self, w: torch.Tensor, f: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Distances (N, K) and the per-candidate steps (N, K, ...) of this norm."""
        raise NotImplementedError

    def perturb(self, x, y):
        with torch.no_grad():
            logits = self.logits(x, y)
        k = min(self.candidates, logits.shape[1])
        others = logits.scatter(1, y.view(-1, 1), float("-inf")).topk(k - 1, dim=1).indices
        classes = torch.cat([y.view(-1, 1), others], 1)  # (N, K): label first
        r_tot = torch.zeros_like(x)
        x_adv = x.clone()
        active = torch.ones(len(x), dtype=torch.bool, device=x.device)
        for _ in range(self.steps):
            idx = active.nonzero().squeeze(1)
            if len(idx) == 0:
                break
            xa = x_adv[idx].detach().requires_grad_(True)
            out = self.logits(xa, y[idx])
            still = out.argmax(1) == y[idx]
            active[idx[~still]] = False
            if not still.any():
                break
            idx, xa_out, cls = idx[still], out[still], classes[idx[still]]
            picked = xa_out.gather(1, cls)  # (n, K)
            diff = picked[:, 1:] - picked[:, :1]  # f_k - f_label (< 0 while correct)
            # all K-1 gradients in one batched backward pass (vmap over the output seeds)
            k1 = diff.shape[1]
            seeds = torch.eye(k1, device=x.device).unsqueeze(1).expand(k1, len(diff), k1)
            (g,) = torch.autograd.grad(diff, xa, grad_outputs=seeds, is_grads_batched=True)
            w = g[:, still].transpose(0, 1)  # (n, K-1, ...)
            dist, steps = self._step(w, diff.detach())
            best = dist.argmin(1)
            step = steps[torch.arange(len(idx)), best]
            r_tot[idx] += step
            r = (1 + self.overshoot) * r_tot[idx]
            if self.max_linf is not None:
                r = r.clamp(-self.max_linf, self.max_linf)
            x_adv[idx] = (x[idx] + r).clamp(0.0, 1.0)
        return x_adv


def _flat_norm(w, p):
    return w.flatten(2).norm(p=p, dim=2)


@ATTACKS.register("deepfool")
class DeepFoolL2(_DeepFool):
    norm = "l2"
    title = "DeepFool l_2"

    def _step(self, w, f):
        norm = _flat_norm(w, 2) + 1e-8
        dist = f.abs() / norm
        scale = (dist + 1e-4) / norm
        return dist, w * scale.view(*scale.shape, *([1] * (w.ndim - 2)))


@ATTACKS.register("deepfool_linf")
class DeepFoolLinf(_DeepFool):
    norm = "linf"
    title = "DeepFool l_inf"

    def _step(self, w, f):
        norm = _flat_norm(w, 1) + 1e-8
        dist = f.abs() / norm
        return dist, w.sign() * (dist + 1e-4).view(*dist.shape, *([1] * (w.ndim - 2)))
