"""Latent Attention Network (Grimm et al. 2017, as Nguyen 2018 Sec. 3.1 uses it): a 3-layer
fully connected network A(x) in [0, 1]^d that says which pixels can be corrupted with noise
without changing f's decision (Eq. 8-9):

    x~ = A(x) eta + (1 - A(x)) x,    L = E_eta[ L_F(f(x~), f(x)) - beta mean(A(x)) ],

L_F the loss f was trained with (cross-entropy) against f's own decision on x, eta drawn per
pixel from N(mean, std) of the training pixels. f is frozen. The saliency map (the attention
mask) is 1 - A(x): the pixels that must stay as they are for f to keep its decision.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from advsal.saliency.base import SALIENCY, TrainedSaliency


class LANNet(nn.Module):
    """x -> A(x): three dense layers (d -> hidden -> hidden -> d), sigmoid."""

    def __init__(self, in_shape, hidden: int):
        super().__init__()
        d = math.prod(in_shape)
        self.body = nn.Sequential(
            nn.Flatten(),
            nn.Linear(d, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, d),
        )

    def forward(self, x):
        return torch.sigmoid(self.body(x)).view_as(x)


@SALIENCY.register("lan")
class LatentAttention(TrainedSaliency):
    title = "latent attention network"

    def __init__(self, model, hidden: int = 256, beta: float = 1.0):
        if hidden < 1:
            raise ValueError(f"hidden must be >= 1, got {hidden}")
        if beta < 0:
            raise ValueError(f"beta (Eq. 9) must be >= 0, got {beta}")
        super().__init__(model, hidden=hidden, beta=beta)
        self.hidden, self.beta = int(hidden), float(beta)
        self._noise = (0.0, 1.0)

    def _build(self, in_shape, n_classes):
        noise = list(self._noise)  # mean and std of the training pixels
        self.meta = {"in_shape": list(in_shape), "n_classes": int(n_classes), "noise": noise}
        self.net = LANNet(in_shape, self.hidden)

    def fit(self, x, y, x_val, y_val, **kw):
        self._noise = (float(x.float().mean()), float(x.float().std()))
        return super().fit(x, y, x_val, y_val, **kw)

    def load_state(self, state: dict) -> None:
        self._noise = tuple(state["noise"])
        super().load_state(state)

    def loss(self, x, y, gen=None) -> tuple[torch.Tensor, dict]:
        """Eq. 9 with one noise draw per image (mean over the batch) and its two terms."""
        a = self.net(x)
        mean, std = self.meta["noise"]
        eta = torch.randn(x.shape, generator=gen).to(x.device) * std + mean
        x_t = a * eta + (1 - a) * x
        with torch.no_grad():
            decision = self.model(x).argmax(1)
        logits = self.model(x_t)
        kept = F.cross_entropy(logits, decision, reduction="none")
        corrupted = a.flatten(1).mean(1)
        terms = {
            "corrupted": corrupted.mean().item(),
            "agree": (logits.argmax(1) == decision).float().mean().item(),
        }
        return (kept - self.beta * corrupted).mean(), terms

    def val_losses(self, x, y, device, batch_size=256) -> dict:
        sums: dict = {}
        self._add_terms(sums, x, y, device, batch_size)
        return {f"val_{k}": v / len(x) for k, v in sums.items()}

    def attribute(self, inputs, target=None, create_graph=False):
        """The attention mask 1 - A(x) (``target`` is not used: LAN has no class input)."""
        net = self._trained()
        if create_graph:
            return 1 - net(inputs)
        with torch.no_grad():
            return 1 - net(inputs.detach())
