"""Saliency methods by name: one module per method, one ``@SALIENCY.register`` each."""

from advsal.registry import import_modules
from advsal.saliency.base import SALIENCY, SaliencyMethod

import_modules(__name__, __path__)  # each module registers itself

__all__ = ["SALIENCY", "SaliencyMethod"]
