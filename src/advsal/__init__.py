"""advsal: detecting adversarial examples with saliency, one reproducible pipeline."""

__version__ = "0.1.0"
