"""Metzen et al. (2017): a detector subnetwork on a frozen classifier's features at AD(i).

Fig. 1 (bottom): conv 96 - [max-pool] - conv 192 - [max-pool] - conv 192 - conv 1x1 (2) - global
average pooling, every convolution but the last followed by batch norm and ReLU. The pools are
dropped where the features already have a lower resolution (AD(3): the second, AD(4): both), so
that every depth ends at the resolution of the classifier's last stage. The two outputs are
"regular" and "adversarial"; the detector's logit is their difference (the same softmax).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from advsal.detectors.base import DETECTORS, Detector
from advsal.models import attachment_point


def head(c_in: int, widths=(96, 192, 192), pools: int = 2) -> nn.Sequential:
    """The detector network of Fig. 1 (bottom) on ``c_in`` feature maps, with ``pools`` of its
    two optional max-pools kept (the first ones)."""
    if not 0 <= pools <= 2:
        raise ValueError(f"pools must be 0, 1 or 2, got {pools}")
    layers: list[nn.Module] = []
    c = c_in
    for i, w in enumerate(widths):
        layers += [nn.Conv2d(c, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU()]
        if i < pools:
            layers.append(nn.MaxPool2d(2))
        c = w
    layers += [nn.Conv2d(c, 2, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    return nn.Sequential(*layers)


def collect(model: nn.Sequential, names, x: torch.Tensor) -> dict:
    """The features at several layers of ``model`` in one forward (``"input"`` is x)."""
    wanted = set(names)
    out = {"input": x} if "input" in wanted else {}
    for name, layer in model.named_children():
        if len(out) == len(wanted):
            break
        x = layer(x)
        if name in wanted:
            out[name] = x
    missing = wanted - set(out)
    if missing:
        raise KeyError(f"layers {sorted(missing)} not in the classifier")
    return out


def feature_shapes(model: nn.Sequential, names, in_shape) -> dict:
    with torch.no_grad():
        probe = torch.zeros(1, *in_shape, device=next(model.parameters()).device)
        return {k: tuple(v.shape[1:]) for k, v in collect(model, names, probe).items()}


def auto_pools(model: nn.Sequential, layer: str, in_shape) -> int:
    """How many of the two max-pools to keep at ``layer``: down to the resolution of the last
    attachment point (Fig. 1: 2 at AD(0)-AD(2), 1 at AD(3), 0 at AD(4)); for a model without
    numbered points, as many as keep at least 4x4."""
    points = list(getattr(model, "attachment_points", ()))
    shapes = feature_shapes(model, {layer, *points}, in_shape)
    h = shapes[layer][-1]
    floor = shapes[points[-1]][-1] if points else 4
    return max(0, min(2, int(math.floor(math.log2(max(h / floor, 1.0)) + 1e-9))))


@DETECTORS.register("metzen")
class SubnetworkDetector(Detector):
    """Metzen et al. (2017): the detector network at AD(``layer``) (or a named layer) of the
    frozen classifier. ``widths``: its three convolutions (paper: 96, 192, 192); ``pools``:
    ``"auto"`` (the caption's rule) or 0-2."""

    needs_classifier = True
    attaches = True  # a layer setting: the depth sweep (Fig. 2 right) trains one per AD(i)
    title = "Metzen subnetwork"

    def __init__(self, in_shape, classifier=None, layer=2, widths=(96, 192, 192), pools="auto"):
        if classifier is None:
            raise ValueError("the metzen detector sits on a classifier: give classifier=")
        widths = [int(w) for w in widths]
        super().__init__(in_shape, layer=layer, widths=widths, pools=pools)
        self.classifier = classifier.eval()
        for p in self.classifier.parameters():  # frozen: the detector never updates f
            p.requires_grad_(False)
        self.point = attachment_point(classifier, layer)
        c = feature_shapes(classifier, [self.point], self.in_shape)[self.point][0]
        n_pools = auto_pools(classifier, self.point, self.in_shape) if pools == "auto" else pools
        self.head = head(c, widths, int(n_pools))

    def train(self, mode: bool = True):
        super().train(mode)
        self.classifier.eval()  # f's batch-norm statistics stay those it was trained with
        return self

    def logit(self, z: torch.Tensor) -> torch.Tensor:
        return z[:, 1] - z[:, 0]

    def frozen(self) -> nn.Module:
        return _Point(self.classifier, self.point)

    def on_frozen(self, f: torch.Tensor) -> torch.Tensor:
        return self.logit(self.head(f))

    def forward(self, x, s=None):
        return self.on_frozen(collect(self.classifier, [self.point], x)[self.point])


class _Point(nn.Module):
    """The frozen classifier's features at one attachment point."""

    def __init__(self, classifier: nn.Sequential, point: str) -> None:
        super().__init__()
        self.classifier, self.point = classifier, point
        self.key = (id(classifier), point)  # two detectors on one f at one point share it

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return collect(self.classifier, [self.point], x)[self.point]
