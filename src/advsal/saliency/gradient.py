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

    def attribute(self, inputs, target=None, create_graph=False):
        # through the attack's graph when asked to, else on a detached copy
        x = inputs if create_graph and inputs.requires_grad else inputs.detach().requires_grad_()
        scores = self.model(x)
        if self.output == "prob":
            scores = scores.softmax(1)
        if target is None:
            target = scores.argmax(1)
        picked = scores.gather(1, target.view(-1, 1)).sum()
        (g,) = torch.autograd.grad(picked, x, create_graph=create_graph)
        return g.abs() if self.absolute else g
