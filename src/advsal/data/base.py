from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from advsal.errors import DataUnavailable
from advsal.registry import Registry

__all__ = ["DATASETS", "SPLITS", "DataUnavailable", "Splits"]

DATASETS: Registry = Registry("dataset")
SPLITS = ("train", "val", "test")


@dataclass
class Splits:
    """uint8 images (N, C, H, W) and int64 labels per split, plus class names."""

    x: dict  # split -> torch.uint8 tensor
    y: dict  # split -> torch.int64 tensor
    classes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        out = {"classes": list(self.classes)}
        for s in SPLITS:
            out[f"x_{s}"] = self.x[s].contiguous()
            out[f"y_{s}"] = self.y[s].contiguous()
        return out

    @classmethod
    def from_dict(cls, d: dict) -> Splits:
        return cls(
            x={s: d[f"x_{s}"] for s in SPLITS},
            y={s: d[f"y_{s}"] for s in SPLITS},
            classes=list(d["classes"]),
        )


def split_counts(n_train_pool: int, n_test_pool: int, split: dict) -> dict:
    """Resolve the configured counts; ``None`` means everything that is left."""
    n_val = int(split.get("val") or 0)
    n_train = split.get("train")
    n_train = n_train_pool - n_val if n_train is None else int(n_train)
    n_test = split.get("test")
    n_test = n_test_pool if n_test is None else int(n_test)
    if n_train + n_val > n_train_pool or n_test > n_test_pool or min(n_train, n_test) <= 0:
        raise DataUnavailable(
            f"split {split} does not fit: {n_train_pool} training and {n_test_pool} "
            "test images are available"
        )
    return {"train": n_train, "val": n_val, "test": n_test}


def make_splits(x_pool, y_pool, x_test, y_test, split: dict, seed: int, classes) -> Splits:
    """Shuffle with ``seed`` (some sources are sorted by label) and cut the splits.

    ``x_test is None`` carves the test split from the same pool (sources without a test set).
    """
    import torch

    rng = np.random.default_rng(seed)
    perm = torch.from_numpy(rng.permutation(len(x_pool)))
    x_pool, y_pool = x_pool[perm], y_pool[perm]
    if x_test is None:
        n_test = split.get("test")
        if n_test is None:
            raise DataUnavailable("this source has no test set: give split.test a number")
        n_test = int(n_test)
        x_test, y_test = x_pool[:n_test], y_pool[:n_test]
        x_pool, y_pool = x_pool[n_test:], y_pool[n_test:]
    else:
        perm_t = torch.from_numpy(rng.permutation(len(x_test)))
        x_test, y_test = x_test[perm_t], y_test[perm_t]
    counts = split_counts(len(x_pool), len(x_test), split)
    n_tr, n_va = counts["train"], counts["val"]
    return Splits(
        x={
            "train": x_pool[:n_tr],
            "val": x_pool[n_tr : n_tr + n_va],
            "test": x_test[: counts["test"]],
        },
        y={
            "train": y_pool[:n_tr].long(),
            "val": y_pool[n_tr : n_tr + n_va].long(),
            "test": y_test[: counts["test"]].long(),
        },
        classes=[str(c) for c in classes],
    )


def load_dataset(name: str, options: dict, seed: int) -> Splits:
    loader = DATASETS.get(name)
    return loader(options, seed)


def source(shape=None, pool=None, classes=None, family=None, folder=None):
    """What a registered source declares beside its loader, read before any data is loaded:
    its image ``shape`` (C, H, W) and its number of ``classes``, each a value or a function of
    the dataset's settings (None: not known before loading); its ``pool``, the images it holds
    (training pool, test set; None: no test set of its own, the test split is cut from the
    pool), for sources of a fixed size; the ``family`` the papers name its images by (None: the
    config's ``dataset.family``); the ``folder``: the setting naming a directory that must exist
    before any job runs (the user's images)."""

    def declare(loader):
        loader.shape, loader.pool, loader.classes = shape, pool, classes
        loader.family, loader.folder = family, folder
        return loader

    return declare


def _declared(name: str, what: str):
    import advsal.data  # noqa: F401  (registers the built-in sources)

    return getattr(DATASETS.get(name), what, None) if name in DATASETS else None


def _value(ds: dict, what: str):
    value = _declared(ds["name"], what)
    return value(ds) if callable(value) else value


def dataset_shape(ds: dict) -> tuple[int, int, int] | None:
    """The image shape a dataset will have, where its source declares it."""
    return _value(ds, "shape")


def dataset_classes(ds: dict) -> int | None:
    """How many classes a dataset will have, where it is known before loading."""
    return _value(ds, "classes")


def dataset_family(ds: dict) -> str | None:
    """The name the papers give the dataset's images: the config's ``dataset.family``, else
    the one its source declares."""
    return ds.get("family") or _declared(ds["name"], "family")


def dataset_folder(ds: dict) -> str | None:
    """The setting (a key of ``dataset``) naming the directory the source reads, if any."""
    return _declared(ds["name"], "folder")


def check_split(ds: dict) -> None:
    """Refuse a split larger than a built-in source holds, before any job loads it."""
    declared = _declared(ds["name"], "pool")
    if declared is None:
        return
    pool, test = declared
    split = dict(ds.get("split") or {})
    if test is None:
        if split.get("test") is None:
            return  # the loader asks for split.test (a plan needs no data)
        test = int(split["test"])
        if test > pool:
            raise DataUnavailable(f"split.test {test} is more than {ds['name']}'s {pool} images")
        pool -= test
    split_counts(pool, test, split)
