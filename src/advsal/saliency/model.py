"""Model-based saliency (Dabkowski & Gal 2017, as model_based_saliency2020 Sec. 3.3 uses it): a
network that maps an image and a class to a mask in [0, 1] in one forward pass.

The masking model is an encoder of residual blocks, a class selector at the bottleneck (a
per-class scale and shift of the deepest features) and a decoder that upsamples back to the
image's size through skip connections. It is trained on clean images only, with f frozen, on
Eq. 2 of the paper (Dabkowski & Gal's loss without the total-variation term):

    L(m) = lambda1 AV(m) - log f_c(Phi(x, m)) + lambda2 f_c(Phi(x, 1 - m))^lambda3

where AV is the mask's mean, f_c the softmax probability of class c and
Phi(x, m) = m x + (1 - m) b replaces the unmasked pixels by an alternative image b (a blurred
copy, a constant or noise, drawn per batch as Dabkowski & Gal do; or one of them). Training uses
the true class; at use the class selector gets f's *predicted* class, so no label leaks.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from advsal.models import ResBlock
from advsal.saliency.base import SALIENCY, TrainedSaliency

FILLS = ("blur", "constant", "noise", "zero")


class MaskNet(nn.Module):
    """Encoder (3 residual stages, /1, /2, /4) - class selector - decoder with skips - sigmoid."""

    def __init__(self, in_shape, n_classes: int, width: int = 16):
        super().__init__()
        c = in_shape[0]
        w = (width, 2 * width, 4 * width)
        self.enc = nn.ModuleList(
            [ResBlock(c, w[0]), ResBlock(w[0], w[1], stride=2), ResBlock(w[1], w[2], stride=2)]
        )
        self.scale = nn.Embedding(n_classes, w[2])
        self.shift = nn.Embedding(n_classes, w[2])
        nn.init.ones_(self.scale.weight)
        nn.init.zeros_(self.shift.weight)
        self.dec = nn.ModuleList([ResBlock(w[2] + w[1], w[1]), ResBlock(w[1] + w[0], w[0])])
        self.out = nn.Conv2d(w[0], 1, 1)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        skips = []
        h = x
        for block in self.enc:
            h = block(h)
            skips.append(h)
        h = h * self.scale(c)[:, :, None, None] + self.shift(c)[:, :, None, None]
        for block, skip in zip(self.dec, reversed(skips[:-1]), strict=True):
            h = F.interpolate(h, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            h = block(torch.cat([h, skip], 1))
        return torch.sigmoid(self.out(h))  # (N, 1, H, W)


def _blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """A separable Gaussian blur (reflect padding), channel by channel."""
    radius = max(1, min(int(3 * sigma), (min(x.shape[-2:]) - 1)))
    t = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    k = torch.exp(-(t**2) / (2 * sigma**2))
    k = k / k.sum()
    c = x.shape[1]
    x = F.pad(x, (radius, radius, radius, radius), mode="reflect")
    x = F.conv2d(x, k.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return F.conv2d(x, k.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


def alternative(x: torch.Tensor, fill: str, gen: torch.Generator | None = None) -> torch.Tensor:
    """The image b that Phi puts where the mask is off."""
    if fill == "zero":
        return torch.zeros_like(x)
    if fill == "blur":
        return _blur(x, sigma=max(x.shape[-1] / 8, 1.0))
    if fill == "constant":
        v = torch.rand(len(x), x.shape[1], 1, 1, generator=gen).to(x)
        return v.expand_as(x)
    if fill == "noise":
        return torch.rand(x.shape, generator=gen).to(x)
    raise ValueError(f"fill must be one of {', '.join(FILLS)} or 'mixed', got {fill!r}")


def apply_mask(x, m, b):
    """Phi(x, m) = m x + (1 - m) b (m broadcast over the channels)."""
    return m * x + (1 - m) * b


@SALIENCY.register("model")
class ModelSaliency(TrainedSaliency):
    """Learnt real-time saliency: ``attribute`` is one forward pass of the masking model."""

    title = "saliency model"

    def __init__(
        self,
        model,
        width: int = 16,
        area: float = 2.0,
        destroy: float = 2.0,
        power: float = 0.3,
        fill: str = "mixed",
    ):
        if fill != "mixed" and fill not in FILLS:
            raise ValueError(f"fill must be 'mixed' or one of {', '.join(FILLS)}, got {fill!r}")
        for key, value in (("area", area), ("destroy", destroy), ("power", power)):
            if value < 0:
                raise ValueError(f"{key} (a lambda of Eq. 2) must be >= 0, got {value}")
        if width < 1:
            raise ValueError(f"width must be >= 1, got {width}")
        super().__init__(model, width=width, area=area, destroy=destroy, power=power, fill=fill)
        self.width, self.area, self.destroy, self.power, self.fill = (
            width,
            area,
            destroy,
            power,
            fill,
        )

    # -- training ---------------------------------------------------------------------------
    def _build(self, in_shape, n_classes):
        self.meta = {"in_shape": list(in_shape), "n_classes": int(n_classes)}
        self.net = MaskNet(in_shape, n_classes, self.width)

    def loss(self, x, y, gen=None, fill=None) -> tuple[torch.Tensor, dict]:
        """Eq. 2 (mean over the batch) and its three terms."""
        fill = fill or self.fill
        if fill == "mixed":
            fill = FILLS[int(torch.randint(3, (), generator=gen))]  # blur, constant or noise
        m = self.net(x, y)
        b = alternative(x, fill, gen)
        keep = F.log_softmax(self.model(apply_mask(x, m, b)), 1).gather(1, y.view(-1, 1))
        gone = F.softmax(self.model(apply_mask(x, 1 - m, b)), 1).gather(1, y.view(-1, 1))
        area = m.flatten(1).mean(1)
        destroy = gone.squeeze(1).clamp(min=1e-6) ** self.power
        total = self.area * area - keep.squeeze(1) + self.destroy * destroy
        terms = {"area": area.mean().item(), "preserve": keep.exp().mean().item()}
        terms["destroyed"] = gone.mean().item()
        return total.mean(), terms

    @torch.no_grad()
    def val_losses(self, x, y, device, batch_size=256) -> dict:
        """Eq. 2 on the validation split with every fill in turn (fixed draws)."""
        sums: dict = {}
        fills = FILLS[:3] if self.fill == "mixed" else (self.fill,)
        for fill in fills:
            self._add_terms(sums, x, y, device, batch_size, fill=fill)
        return {f"val_{k}": v / (len(x) * len(fills)) for k, v in sums.items()}

    # -- use --------------------------------------------------------------------------------
    def attribute(self, inputs, target=None, create_graph=False):
        net = self._trained()
        if target is None:
            with torch.no_grad():
                target = self.model(inputs).argmax(1)
        if create_graph:
            m = net(inputs, target)
        else:
            with torch.no_grad():
                m = net(inputs.detach(), target)
        return m.expand(-1, inputs.shape[1], -1, -1)
