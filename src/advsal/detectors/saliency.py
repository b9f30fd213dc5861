"""model_based_saliency2020 Sec. 3.4: detectors that read the saliency map instead of the image.

- SMD (saliency map defense): the map alone, "the classifier focuses on the wrong pixels";
- SPD (salient pixel defense): the map times the image, "the pixel values are wrong".

Neither concatenates the map to the image (that is JSD). Both share ID's network (``arch``,
``width``, ``dropout``); the paper uses its classifier's architecture (``arch: mnist_net``).
"""

from __future__ import annotations

from advsal.detectors.base import DETECTORS
from advsal.detectors.image import ImageDetector


class _MapDetector(ImageDetector):
    needs_saliency = True

    def forward(self, x, s=None):
        if s is None:
            raise ValueError(f"the {self.title} detector needs the saliency map")
        return super().forward(x, s)


@DETECTORS.register("smd")
class SaliencyMapDetector(_MapDetector):
    title = "SMD"

    def net_input(self, x, s=None):
        return s


@DETECTORS.register("spd")
class SalientPixelDetector(_MapDetector):
    title = "SPD"

    def net_input(self, x, s=None):
        return s * x
