"""Datasets by name. Each loader returns index-aligned uint8 splits (N, C, H, W) and labels.

Register a new source with ``@DATASETS.register("name")`` in a module imported below.
"""

from advsal.data import builtin as _builtin  # noqa: F401  (registers the sources)
from advsal.data.base import (
    DATASETS,
    DataUnavailable,
    Splits,
    dataset_shape,
    load_dataset,
    split_counts,
)

__all__ = ["DATASETS", "DataUnavailable", "Splits", "dataset_shape", "load_dataset", "split_counts"]
