"""Detectors by name: one module per family, one ``@DETECTORS.register`` per kind."""

from advsal.detectors.base import DETECTORS, Detector, load_detector, save_detector
from advsal.registry import import_modules

import_modules(__name__, __path__)  # each module registers itself

__all__ = ["DETECTORS", "Detector", "load_detector", "save_detector"]
