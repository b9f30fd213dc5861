"""Momentum iterative method (MIM, Dong et al. 2018)."""

from __future__ import annotations

from advsal.attacks.base import ATTACKS, project_linf
from advsal.attacks.gradient import _Iterative


@ATTACKS.register("mim")
class MIM(_Iterative):
    """g <- mu * g + grad / ||grad||_1; x <- clip_eps(x + alpha * sign(g)) on the l_inf ball."""

    title = "MIM"

    def __init__(self, model, eps=None, decay: float = 1.0, **kw):
        super().__init__(model, eps=eps, **kw)
        if decay < 0:
            raise ValueError(f"decay must be >= 0, got {decay}")
        self.decay = float(decay)

    def perturb(self, x, y):
        x_adv, g = x.clone(), x.new_zeros(x.shape)
        shape = (-1,) + (1,) * (x.ndim - 1)
        for _ in range(self.steps):
            grad = self.grad(x_adv, y)
            l1 = grad.abs().flatten(1).sum(1).clamp_min(1e-12).view(shape)
            g = self.decay * g + grad / l1
            x_adv = project_linf(x_adv + self.alpha * g.sign(), x, self.eps)
        return x_adv
