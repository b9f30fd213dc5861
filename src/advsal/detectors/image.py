"""ID (image only) and JSD (image + saliency on the channel axis, Zhang et al. 2018)."""

from __future__ import annotations

import torch

from advsal.detectors.base import DETECTORS, Detector
from advsal.models import build


@DETECTORS.register("id")
class ImageDetector(Detector):
    """ID baseline: the detector network sees the image alone."""

    title = "ID"

    def __init__(self, in_shape, arch: str = "detector_net", width: int = 16, dropout=0.5):
        super().__init__(in_shape, arch=arch, width=width, dropout=dropout)
        self.net = build(arch, self._net_shape(), n_out=1, width=width, dropout=dropout)

    def _net_shape(self):
        return self.in_shape

    def net_input(self, x, s=None):
        """What the network reads (model_based_saliency2020 App. C differentiates w.r.t. it)."""
        return x

    def forward(self, x, s=None):
        return self.net(self.net_input(x, s)).squeeze(1)


@DETECTORS.register("jsd")
class SaliencyImageDetector(ImageDetector):
    """JSD: image and standardised saliency concatenated on the channel axis."""

    needs_saliency = True
    title = "JSD"

    def __init__(self, in_shape, **params):
        super().__init__(in_shape, **params)
        self.register_buffer("s_mean", torch.zeros(()))
        self.register_buffer("s_std", torch.ones(()))

    def _net_shape(self):
        c, *hw = self.in_shape
        return (2 * c, *hw)

    def fit_normalizer(self, x, s):
        self.s_mean.fill_(s.mean().item())
        self.s_std.fill_(s.std().item() + 1e-12)

    def net_input(self, x, s=None):
        if s is None:
            raise ValueError("the JSD detector needs the saliency map")
        return torch.cat([x, (s - self.s_mean) / self.s_std], 1)
