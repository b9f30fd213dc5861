"""Gradient attacks of Zhang et al. / Metzen et al.: FGSM, iterative l_inf (BIM), iterative l_2."""

from __future__ import annotations

from advsal.attacks.base import ATTACKS, Attack, batch_norms, project_l2, project_linf


@ATTACKS.register("fgsm")
class FGSM(Attack):
    """x + eps * sign(grad) (Goodfellow et al.), on f's predicted label by default."""

    title = "FGSM"

    def perturb(self, x, y):
        return x + self.eps * self.grad(x, y).sign()


class _Iterative(Attack):
    def __init__(self, model, eps=None, steps=10, rel_stepsize=0.1, abs_stepsize=None, **kw):
        super().__init__(model, eps=eps, **kw)
        if steps < 1:
            raise ValueError(f"steps must be >= 1, got {steps}")
        self.steps = int(steps)
        self.alpha = float(abs_stepsize) if abs_stepsize else float(rel_stepsize) * self.eps


@ATTACKS.register("bim")
class BIM(_Iterative):
    """Iterative l_inf: step alpha * sign(grad), clip to the eps-ball and [0, 1] each step."""

    title = "Iterative l_inf"
    default_against_fit = True  # what a retraining attack's detector is fitted to by default

    def perturb(self, x, y):
        x_adv = x.clone()
        for _ in range(self.steps):
            x_adv = project_linf(x_adv + self.alpha * self.grad(x_adv, y).sign(), x, self.eps)
        return x_adv


@ATTACKS.register("bim_l2")
class BIML2(_Iterative):
    """Iterative l_2 (Metzen et al.): normalised-gradient step, projection onto the eps-ball."""

    norm = "l2"
    title = "Iterative l_2"

    def perturb(self, x, y):
        x_adv = x.clone()
        shape = (-1,) + (1,) * (x.ndim - 1)
        for _ in range(self.steps):
            g = self.grad(x_adv, y)
            g = g / (batch_norms(g, 2).view(shape) + 1e-12)
            x_adv = project_l2(x_adv + self.alpha * g, x, self.eps)
        return x_adv
