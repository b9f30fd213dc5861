"""Stage 1: the dataset's train/val/test splits as uint8 tensors."""

from __future__ import annotations

from advsal import io
from advsal.data import load_dataset
from advsal.data.base import SPLITS
from advsal.runtime import progress


def make_data(dataset: dict, seed: int, out) -> dict:
    splits = load_dataset(dataset["name"], dataset, seed)
    io.save_tensors(out, splits.to_dict())
    summary = {s: int(len(splits.y[s])) for s in SPLITS}
    shape = tuple(splits.x["train"].shape[1:])
    progress.info("dataset %s: %s, image shape %s", dataset["name"], summary, shape)
    return summary
