"""Gradient saliency (Simonyan et al.), as Zhang et al. feed it to the JSD detector."""

from __future__ import annotations

import torch

from advsal.saliency.base import SALIENCY, SaliencyMethod


@SALIENCY.register("gradient")
class Gradient(SaliencyMethod):
    """d score_target / d x with score the logit (default) or the softmax probability."""

    def __init__(self, model, output: str = "logit", absolute: bool = False):
        if output not in ("logit", "prob"):
            raise ValueError(f"output must be 'logit' or 'prob', got {output!r}")
        super().__init__(model, output=output, absolute=absolute)
        self.output = output
        self.absolute = absolute

    def attribute(self, inputs, target=None):
        x = inputs.detach().requires_grad_(True)
        scores = self.model(x)
        if self.output == "prob":
            scores = scores.softmax(1)
        if target is None:
            target = scores.argmax(1)
        picked = scores.gather(1, target.view(-1, 1)).sum()
        (g,) = torch.autograd.grad(picked, x)
        return g.abs() if self.absolute else g
