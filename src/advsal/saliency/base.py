"""Saliency methods share captum's call shape: ``Method(model, **params).attribute(x, target)``.

A method that is itself a trained model (learnt saliency, attention masks) sets ``trainable`` and
implements :meth:`fit`; the stages call ``fit`` before ``attribute`` when it is set.
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

    def fit(self, x: torch.Tensor, y: torch.Tensor) -> None:  # pragma: no cover - trainable only
        raise NotImplementedError

    def attribute(self, inputs: torch.Tensor, target: torch.Tensor | None = None) -> torch.Tensor:
        """A map with the shape of ``inputs``; ``target`` defaults to f's predicted class."""
        raise NotImplementedError

    def run(self, x, batch_size: int = 256, device="cpu", progress: bool = True) -> torch.Tensor:
        self.model.eval()
        out = []
        n = math.ceil(len(x) / batch_size)
        for b in tqdm(range(n), desc=type(self).__name__, disable=not progress, mininterval=5):
            out.append(self.attribute(x[b * batch_size : (b + 1) * batch_size].to(device)).cpu())
        return torch.cat(out) if out else torch.zeros_like(x)
