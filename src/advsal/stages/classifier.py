"""Stage 2: a named classifier f (Adam or SGD with a step schedule, model selection on val)."""

from __future__ import annotations

import pandas as pd

from advsal import io
from advsal.data.base import SPLITS
from advsal.models import build, save_model
from advsal.runtime import progress, setup
from advsal.stages.common import load_splits
from advsal.training import fit_classifier, predict

OPTIMIZER_KEYS = ("optimizer", "momentum", "weight_decay", "milestones", "gamma")


def train_classifier(
    name, settings, data, out_model, out_metrics, out_history, *, seed, device, threads=None
) -> dict:
    dev = setup(seed, device, threads, "classifier", name)
    splits = load_splits(data)
    in_shape = tuple(splits.x["train"].shape[1:])
    kwargs = {"n_out": len(splits.classes), **settings["params"]}
    if "dropout" in settings:
        kwargs["dropout"] = settings["dropout"]
    model = build(settings["arch"], in_shape, **kwargs)
    history = fit_classifier(
        model,
        splits.x["train"],
        splits.y["train"],
        splits.x["val"],
        splits.y["val"],
        epochs=settings["epochs"],
        lr=settings["lr"],
        batch_size=settings["batch_size"],
        **{k: settings[k] for k in OPTIMIZER_KEYS if k in settings},
        device=dev,
        seed=seed,
        desc=f"classifier {name}",
    )
    metrics = {
        f"{s}_acc": (predict(model, [splits.x[s]], device=dev).argmax(1) == splits.y[s])
        .float()
        .mean()
        .item()
        for s in SPLITS
    }
    metrics.update(classifier=name, arch=settings["arch"], epochs=settings["epochs"])
    save_model(out_model, model, settings["arch"], in_shape, kwargs)
    io.write_csv(out_history, pd.DataFrame(history))
    io.write_json(out_metrics, metrics)
    progress.info("classifier %s: test accuracy %.4f", name, metrics["test_acc"])
    return metrics
