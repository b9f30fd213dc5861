"""Saliency methods by name: one module per method, one ``@SALIENCY.register`` each."""

from advsal.saliency import gradient as _gradient  # noqa: F401  (registers "gradient")
from advsal.saliency import lan as _lan  # noqa: F401  (registers "lan")
from advsal.saliency import model as _model  # noqa: F401  (registers "model")
from advsal.saliency.base import SALIENCY, SaliencyMethod

__all__ = ["SALIENCY", "SaliencyMethod"]
