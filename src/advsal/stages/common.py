"""Loading what earlier stages wrote: splits, adversarials, saliency maps, models."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from advsal import io
from advsal.data import Splits
from advsal.data.base import SPLITS
from advsal.models import load_model
from advsal.training import as_float

__all__ = [
    "SPLITS",
    "build_saliency",
    "named_inputs",
    "load_adv",
    "load_classifier",
    "load_saliency",
    "load_splits",
    "split_xy",
]


def named_inputs(inputs, keys: dict) -> dict:
    """A job's list inputs by (attack, eps): ``{name: {(attack, eps): path}}`` for each
    ``name`` in ``keys`` (the plan's list, ``params.lists``), zipped strictly against the files
    of input ``name`` (advsal.plan.inputs)."""
    out = {}
    for name, pairs in keys.items():
        files = list(inputs[name])
        out[name] = {tuple(k): f for k, f in zip(pairs, files, strict=True)}
    return out


def load_splits(path) -> Splits:
    return Splits.from_dict(io.load_tensors(path, expect=("classes", "x_train", "y_test")))


def split_xy(splits: Splits, split: str, train_limit: int | None = None):
    """Float images and labels of a split; the train split is cut to ``train_limit``."""
    x, y = splits.x[split], splits.y[split]
    if split == "train" and train_limit:
        x, y = x[:train_limit], y[:train_limit]
    return as_float(x), y


def load_adv(path) -> torch.Tensor:
    return io.load_tensors(path, expect=("x_adv",))["x_adv"]


def load_saliency(path) -> dict:
    return io.load_tensors(path, expect=SPLITS)


def load_classifier(path, device="cpu"):
    return load_model(path, device)[0]


def build_saliency(settings: dict, classifier, state_path=None, device="cpu"):
    """A saliency instance on ``classifier``; a trained method gets its saved state back."""
    from advsal.saliency import SALIENCY

    method = SALIENCY.get(settings["method"])(classifier, **settings["params"])
    if method.trainable:
        if state_path is None:
            raise ValueError(f"saliency method {settings['method']!r} is trained: give its state")
        method.load_state(io.load_tensors(state_path, expect=("state",))["state"])
    return method.to(device)


@dataclass(frozen=True)
class Job:
    """What a stage job is about and runs with: the instance (``name``, its ``settings``), the
    files it reads by name (``data``, ``classifier``, ``sal_clean``, ...; a file the kind does
    not read is absent) and its runtime. Scripts build it with :meth:`of_rule`."""

    name: str
    settings: dict
    seed: int
    device: str
    files: dict = field(default_factory=dict)
    threads: int | None = None

    @classmethod
    def of_rule(cls, snakemake, name: str) -> Job:
        """The record of a Snakemake job: ``name`` (a wildcard's value), ``params.settings``
        (empty where the rule passes none), ``params.runtime`` and the job's named inputs
        that are single files (lists by (attack, eps) stay with the script)."""
        p = snakemake.params
        settings = p.settings if "settings" in p.keys() else {}
        files = {k: v for k, v in snakemake.input.items() if isinstance(v, str)}
        return cls(name, settings, **p.runtime, files=files, threads=snakemake.threads)
