"""Saliency methods share captum's call shape: ``Method(model, **params).attribute(x, target)``.

``attribute(..., create_graph=True)`` keeps the map differentiable in x, so an attack can go
through the saliency a detector reads. A method that is itself a trained model (learnt
saliency, attention masks) sets ``trainable``: the pipeline's ``train_saliency`` rule calls
:meth:`fit` on the training split and saves :meth:`state`; the saliency rules and the attacks
restore it with :meth:`load_state` before calling ``attribute``.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from tqdm.auto import tqdm

from advsal.registry import Registry

SALIENCY: Registry[type[SaliencyMethod]] = Registry("saliency method")


class SaliencyMethod:
    trainable: bool = False

    def __init__(self, model: nn.Module, **params):
        self.model = model
        self.params = params

    # -- trained methods only ---------------------------------------------------------------
    def fit(self, x, y, x_val, y_val, device="cpu", seed: int = 0, **training) -> list[dict]:
        """Train on (x, y), select on the validation split; returns the history rows."""
        raise NotImplementedError(f"{type(self).__name__} is not trained")

    def state(self) -> dict:
        raise NotImplementedError(f"{type(self).__name__} has no trained state")

    def load_state(self, state: dict) -> None:
        raise NotImplementedError(f"{type(self).__name__} has no trained state")

    def to(self, device) -> SaliencyMethod:
        """Move what the method owns besides f (a trained method's network)."""
        return self

    # -- every method -----------------------------------------------------------------------
    def attribute(
        self,
        inputs: torch.Tensor,
        target: torch.Tensor | None = None,
        create_graph: bool = False,
    ) -> torch.Tensor:
        """A map with the shape of ``inputs``; ``target`` defaults to f's predicted class."""
        raise NotImplementedError

    def run(self, x, batch_size: int = 256, device="cpu", progress: bool = True) -> torch.Tensor:
        self.model.eval()
        out = []
        n = math.ceil(len(x) / batch_size)
        for b in tqdm(range(n), desc=type(self).__name__, disable=not progress, mininterval=5):
            out.append(self.attribute(x[b * batch_size : (b + 1) * batch_size].to(device)).cpu())
        return torch.cat(out) if out else torch.zeros_like(x)
