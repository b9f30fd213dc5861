"""Stage 4: saliency maps of a named saliency instance, for the clean splits and for every
(attack, eps). A trained method is fitted first (``train_saliency``) and saved."""

from __future__ import annotations

from advsal import io
from advsal.data.base import SPLITS
from advsal.runtime import progress, setup
from advsal.saliency import SALIENCY
from advsal.stages.common import (
    build_saliency,
    load_adv,
    load_classifier,
    load_splits,
    split_xy,
)


def train_saliency(
    name, settings, data, model, out, *, train_limit, seed, device, threads=None
) -> list[dict]:
    """Fit a trained saliency method on the (cut) training split; select on val."""
    dev = setup(seed, device, threads, "train_saliency", name)
    method = SALIENCY.get(settings["method"])(load_classifier(model, dev), **settings["params"])
    splits = load_splits(data)
    x, y = split_xy(splits, "train", train_limit)
    x_val, y_val = split_xy(splits, "val")
    history = method.fit(x, y, x_val, y_val, device=dev, seed=seed, **settings["training"])
    io.save_tensors(out, {"method": settings["method"], "state": method.state()})
    progress.info("saliency %s trained: %s", name, history[-1] if history else {})
    return history


def make_saliency(
    name,
    settings,
    data,
    model,
    out,
    *,
    adv=None,
    state=None,
    train_limit=None,
    seed,
    device,
    threads=None,
) -> None:
    """Maps of every split: the clean images, or the adversarials in ``adv[split]``."""
    dev = setup(seed, device, threads, "saliency", name)
    method = build_saliency(settings, load_classifier(model, dev), state, dev)
    splits = load_splits(data)
    maps = {}
    for split in SPLITS:
        x = load_adv(adv[split]) if adv else split_xy(splits, split, train_limit)[0]
        maps[split] = method.run(x, batch_size=settings["batch_size"], device=dev)
    io.save_tensors(out, {"method": settings["method"], **maps})
