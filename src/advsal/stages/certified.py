"""Nguyen 2018 Sec. 4 / Fig. 6: a plain and a certified two-layer network against stAdv.

Both networks f(x) = V relu(W x + b) + c read the digits average-pooled to ``side`` x ``side``
(the SDP has 1 + hidden + side^2 rows). The certified one trains on
:func:`advsal.certify.certified_loss` at the certificate's flow budget ``eps``; the plain one on
cross-entropy alone. Then, on the same first ``test_limit`` test images:

- :func:`attack_model`: stAdv at flow budget ``attack.eps``, the flow loss taken with a zero
  border (moving the whole image costs), so a flow within the budget lies within the
  certificate's set of that eps (``L_flow >= ||N r||_2``); one row per image;
- :func:`certify_images`: the certificate per image, the tightened dual bound for all of them
  and the SDP (SCS) for the first ``sdp_limit``;

then :func:`advsal.tables.certified.certified_table`: per model, fooled and certified counts.
"""

from __future__ import annotations

import math
from functools import partial

import pandas as pd
import torch
import torch.nn.functional as F

from advsal import io
from advsal.attacks import ATTACKS
from advsal.certify import CertifiedTraining, certified_loss, certify, certify_batch
from advsal.models import build, load_model, save_model
from advsal.runtime import progress, setup
from advsal.stages.common import Job, load_splits, split_xy
from advsal.training import fit_supervised, predict


def pooled(data, split: str, side: int, limit: int | None = None):
    """Float images of a split average-pooled to side x side, and their labels."""
    x, y = split_xy(load_splits(data), split)
    if limit:
        x, y = x[:limit], y[:limit]
    return F.adaptive_avg_pool2d(x, side), y


def train_model(
    name, settings, data, out_model, out_metrics, out_history, *, seed, device, threads=None
) -> dict:
    """``settings``: side, hidden, epochs, lr, batch_size, eps and weight (0: the plain model)."""
    dev = setup(seed, device, threads, "certified", name)
    side, weight = settings["side"], settings["weight"]
    splits = {s: pooled(data, s, side) for s in ("train", "val", "test")}
    in_shape = tuple(splits["train"][0].shape[1:])
    kwargs = {"n_out": int(splits["train"][1].max()) + 1, "hidden": settings["hidden"]}
    net = build("two_layer", in_shape, **kwargs)
    k = kwargs["n_out"]
    if weight:
        model = CertifiedTraining(net, in_shape, settings["eps"])
        loss = partial(certified_loss, weight=weight)
    else:
        model, loss = net, F.cross_entropy
    history = fit_supervised(
        model,
        [splits["train"][0]],
        splits["train"][1],
        [splits["val"][0]],
        splits["val"][1],
        loss=loss,
        correct=lambda out, y: out[:, :k].argmax(1) == y,
        epochs=settings["epochs"],
        lr=settings["lr"],
        batch_size=settings["batch_size"],
        device=dev,
        seed=seed,
        desc=f"{name} two-layer net",
        report=True,
    )
    net.cpu().eval()
    metrics = {
        f"{s}_acc": float((predict(net, [x]).argmax(1) == y).float().mean())
        for s, (x, y) in splits.items()
    }
    metrics.update(model=name, weight=weight, eps=settings["eps"], side=side)
    save_model(out_model, net, "two_layer", in_shape, kwargs)
    io.write_csv(out_history, pd.DataFrame(history))
    io.write_json(out_metrics, metrics)
    progress.info("%s two-layer net: test accuracy %.4f", name, metrics["test_acc"])
    return metrics


def attack_model(
    name, model_path, data, out_csv, *, side, test_limit, attack, seed, device, threads=None
) -> pd.DataFrame:
    """stAdv (``attack``: its settings, eps the flow budget) on the first ``test_limit`` test
    images with their true labels; a row per image: label, clean and adversarial prediction,
    fooled (correct before, wrong after) and the flow loss of the adversarial (NaN if none)."""
    dev = setup(seed, device, threads, "certified attack", name)
    net, _ = load_model(model_path, dev)
    x, y = pooled(data, "test", side, test_limit)
    atk = ATTACKS.get("stadv")(net, label="true", border="zero", **attack)
    adv, tv = [], []
    for b in range(math.ceil(len(x) / 100)):  # batches of 100, the flow loss of each kept
        sl = slice(100 * b, 100 * (b + 1))
        adv.append(atk(x[sl].to(dev), y[sl].to(dev)).cpu())
        tv.append(atk.last_flow_loss.cpu())
        progress.info("%s: stAdv on %d / %d images", name, min(100 * (b + 1), len(x)), len(x))
    adv, tv = torch.cat(adv), torch.cat(tv)
    pred, pred_adv = (
        predict(net, [x], device=dev).argmax(1),
        predict(net, [adv], device=dev).argmax(1),
    )
    frame = pd.DataFrame(
        {
            "index": range(len(y)),
            "label": y.numpy(),
            "pred": pred.numpy(),
            "pred_adv": pred_adv.numpy(),
            "correct": (pred == y).numpy(),
            "fooled": ((pred == y) & (pred_adv != y)).numpy(),
            "flow_loss": torch.where(tv.isfinite(), tv, torch.nan).numpy(),
        }
    )
    io.write_csv(out_csv, frame)
    progress.info("%s: stAdv fooled %d of %d images", name, frame["fooled"].sum(), len(frame))
    return frame


def certify_images(job: Job, out_csv) -> pd.DataFrame:
    """A row per test image: the worst bound on f_j - f_y over the other classes under every
    flow with ||N r||_2 <= eps (tightened dual bound; ``sdp_*``: the SDP's, first ``sdp_limit``
    images) and whether it certifies the label (worst < 0; a wrong prediction never is).
    ``job``: one two-layer net (``name``), reading ``net`` and ``data``, with the settings
    ``side``, ``test_limit``, ``eps``, ``tighten_steps`` and ``sdp_limit``."""
    name, s = job.name, job.settings
    eps, sdp_limit = s["eps"], s["sdp_limit"]
    setup(job.seed, "cpu", job.threads, "certify", name)  # SCS runs on the CPU
    net, _ = load_model(job.files["net"])
    x, y = pooled(job.files["data"], "test", s["side"], s["test_limit"])
    cert = certify_batch(net, x, y, eps, steps=s["tighten_steps"])
    frame = pd.DataFrame(
        {
            "index": range(len(y)),
            "label": y.numpy(),
            "correct": (predict(net, [x]).argmax(1) == y).numpy(),
            "worst": cert["worst"].numpy(),
            "certified": (cert["worst"] < 0).numpy(),
        }
    )
    sdp = []
    for i in range(min(sdp_limit, len(y))):
        one = certify(net, x[i], int(y[i]), eps)
        sdp.append({"sdp_worst": one["worst"], "sdp_seconds": one["seconds"]})
        progress.info("%s: SDP certificate of image %d / %d", name, i + 1, sdp_limit)
    frame = frame.join(pd.DataFrame(sdp, columns=["sdp_worst", "sdp_seconds"]))
    io.write_csv(out_csv, frame)
    progress.info(
        "%s: %d of %d test images certified at eps %g",
        name,
        frame["certified"].sum(),
        len(frame),
        eps,
    )
    return frame
