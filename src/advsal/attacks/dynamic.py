"""Metzen et al. (2017) Sec. 3.3: the dynamic adversary, an iterative l_inf attack that sees the
detector. Each step mixes the signs of two gradients: of f's loss J_cls and of the detector's
loss J_det(x, 1) (cross-entropy against "adversarial"), weighted 1 - sigma and sigma:

    x_{n+1} = Clip_eps(x_n + alpha ((1 - sigma) sgn grad J_cls + sigma sgn grad J_det)).

The detector term reads the objective's ``detection(x)``, so a detector that reads saliency is
attacked through the saliency map (double backward).
"""

from __future__ import annotations

import torch

from advsal.attacks.base import ATTACKS, project_linf
from advsal.attacks.gradient import _Iterative


@ATTACKS.register("dynamic")
class DynamicBIM(_Iterative):
    """Dynamic adversary; ``sigma`` in [0, 1] trades fooling f (0) for fooling D (1)."""

    title = "Dynamic adversary"
    retrains_detector = True  # the pipeline runs it per detector and sigma, not in the static grid
    sigma_grid = True

    def __init__(self, model, eps=None, sigma=0.0, steps=10, rel_stepsize=0.25, **kw):
        super().__init__(model, eps=eps, steps=steps, rel_stepsize=rel_stepsize, **kw)
        if not 0.0 <= float(sigma) <= 1.0:
            raise ValueError(f"sigma must be in [0, 1], got {sigma}")
        self.sigma = float(sigma)

    def perturb(self, x, y):
        if self.objective.detector is None and self.sigma > 0:
            raise ValueError("the dynamic adversary with sigma > 0 needs the detector")
        x_adv = x.clone()
        for _ in range(self.steps):
            step = torch.zeros_like(x)
            if self.sigma < 1:
                step += (1 - self.sigma) * self.grad_classifier(x_adv, y).sign()
            if self.sigma > 0:
                step += self.sigma * self.grad_detector(x_adv).sign()
            x_adv = project_linf(x_adv + self.alpha * step, x, self.eps)
        return x_adv
