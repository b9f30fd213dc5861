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
    """JSD: image and saliency concatenated on the channel axis. ``scale: raw`` (the papers:
    Zhang et al. concatenate the map as it is, model_based_saliency2020 the logits' gradient)
    or ``standardised`` (the training maps' mean and std: it blows the map up about ten-fold
    on MNIST-NET, where the detector then overfits it: iterative l_2 at 3.0 detected at 0.70
    against 0.96 raw, one run of the default's 300 training images)."""

    needs_saliency = True
    title = "JSD"
    SCALES = ("raw", "standardised")

    def __init__(self, in_shape, scale: str = "raw", **params):
        if scale not in self.SCALES:
            raise ValueError(f"scale must be one of {', '.join(self.SCALES)}, got {scale!r}")
        super().__init__(in_shape, **params)
        self.params["scale"] = self.scale = scale
        self.register_buffer("s_mean", torch.zeros(()))
        self.register_buffer("s_std", torch.ones(()))

    def _net_shape(self):
        c, *hw = self.in_shape
        return (2 * c, *hw)

    def fit_normalizer(self, x, s):
        if self.scale == "standardised":
            self.s_mean.fill_(s.mean().item())
            self.s_std.fill_(s.std().item() + 1e-12)

    def net_input(self, x, s=None):
        if s is None:
            raise ValueError("the JSD detector needs the saliency map")
        return torch.cat([x, (s - self.s_mean) / self.s_std], 1)
