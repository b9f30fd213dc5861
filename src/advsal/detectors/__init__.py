"""Detectors by name: one module per family, one ``@DETECTORS.register`` per kind."""

from advsal.detectors import contrast as _contrast  # noqa: F401  (registers "lan_contrast")
from advsal.detectors import image as _image  # noqa: F401  (registers "id", "jsd")
from advsal.detectors import metzen as _metzen  # noqa: F401  (registers "metzen")
from advsal.detectors import saliency as _saliency  # noqa: F401  (registers "smd", "spd")
from advsal.detectors.base import DETECTORS, Detector, load_detector, save_detector

__all__ = ["DETECTORS", "Detector", "load_detector", "save_detector"]
