"""Metzen et al. (2017) Fig. 2 (right): detectability per adversary for the detector attached at
AD(0)..AD(k) of the frozen classifier.

Per attack at its chosen eps (the smallest that brings f's validation accuracy below the
threshold), one detector head per attachment point is trained on the same batches; the classifier
runs once per batch for all depths (its features at every point in one forward). Each head keeps
its own best epoch on the validation split and is scored on the balanced clean + adversarial test
set.
"""

from __future__ import annotations

import copy

import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from advsal import io
from advsal.detectors.metzen import SubnetworkDetector, collect
from advsal.runtime import progress, setup
from advsal.stages.common import Job, load_adv, load_classifier, load_splits, split_xy
from advsal.tables import read_table
from advsal.training import batched, fit


def _features(clf, points, x, device, batch_size=256):
    """Features at every point, for a whole set, on the CPU (f frozen)."""
    return batched(lambda xb: collect(clf, points, xb), [x], batch_size, device)


def _logits(heads, feats, device, batch_size=256):
    return {
        i: batched(lambda f, h=h: h.logit(h.head(f)), [feats[h.point]], batch_size, device)
        for i, h in heads.items()
    }


def sweep_attack(clf, x, adv, settings, device, seed) -> dict:
    """Train one head per attachment point on (clean, adversarial) of the train split, select
    each on val; returns {AD index: (head, best val accuracy)}. ``x`` / ``adv`` map split ->
    images."""
    in_shape = tuple(x["train"].shape[1:])
    params = {k: v for k, v in settings["params"].items() if k != "layer"}
    heads = {
        i: SubnetworkDetector(in_shape, classifier=clf, layer=i, **params).to(device)
        for i in range(len(clf.attachment_points))
    }
    points = [h.point for h in heads.values()]
    feats, target = {}, {}
    for split in ("train", "val"):
        both = torch.cat([x[split], adv[split]])
        feats[split] = _features(clf, points, both, device)
        target[split] = torch.cat([torch.zeros(len(x[split])), torch.ones(len(adv[split]))])
    best = {i: (-1.0, None) for i in heads}

    def step(rows, _gen):
        t = target["train"][rows].to(device)
        for h in heads.values():
            h.train()
        # the heads are independent: the sum of their losses trains each on its own
        loss = sum(
            F.binary_cross_entropy_with_logits(
                h.logit(h.head(feats["train"][h.point][rows].to(device))), t
            )
            for h in heads.values()
        )
        return loss, None

    def val_metrics():
        """Each head keeps its own best epoch (one loop, a selection per head)."""
        accs = {}
        for i, z in _logits(heads, feats["val"], device).items():
            accs[f"val_acc_AD{i}"] = acc = ((z > 0).float() == target["val"]).float().mean().item()
            if acc > best[i][0]:
                best[i] = (acc, copy.deepcopy(heads[i].head.state_dict()))
        return accs

    fit(
        nn.ModuleList(heads.values()),
        len(target["train"]),
        step,
        val_metrics,
        params=[p for h in heads.values() for p in h.head.parameters()],
        select=None,
        epochs=settings["epochs"],
        lr=settings["lr"],
        betas=settings["betas"],
        batch_size=settings["batch_size"],
        seed=seed,
        desc="attachment-depth heads",
    )
    for i, (_, state) in best.items():
        heads[i].head.load_state_dict(state)
        heads[i].eval()
    return {i: (heads[i], best[i][0]) for i in heads}


def depth_sweep(job: Job, adv, out_csv, *, train_limit=None) -> pd.DataFrame:
    """``job``: the detector instance, reading ``data``, ``classifier``, the attack
    ``summary`` (each attack's type) and the ``chosen`` eps of each attack; ``adv``:
    {(attack, eps): {split: path}} for the static attacks on the detector's classifier."""
    from advsal.metrics import detection_metrics  # scikit-learn, only here

    name, settings, seed = job.name, job.settings, job.seed
    dev = setup(seed, job.device, job.threads, "depth_sweep", name)
    clf = load_classifier(job.files["classifier"], dev)
    for p in clf.parameters():
        p.requires_grad_(False)
    if not getattr(clf, "attachment_points", None):
        raise ValueError(f"detector {name}: its classifier has no numbered attachment points")
    stats = read_table(job.files["summary"])
    chosen = read_table(job.files["chosen"]).set_index("attack")
    types = stats.groupby("attack")["type"].first()
    splits = load_splits(job.files["data"])
    x = {s: split_xy(splits, s, train_limit)[0] for s in ("train", "val", "test")}
    test_points = [h for h in clf.attachment_points]
    rows = []
    for attack in dict.fromkeys(a for a, _ in adv):
        eps = chosen.loc[attack, "eps"]
        files = adv[(attack, eps)]
        xa = {s: load_adv(files[s]) for s in ("train", "val", "test")}
        heads = sweep_attack(clf, x, xa, settings, dev, seed)
        test_feats = {
            k: _features(clf, test_points, v, dev)
            for k, v in (("clean", x["test"]), ("adv", xa["test"]))
        }
        z_clean = _logits({i: h for i, (h, _) in heads.items()}, test_feats["clean"], dev)
        z_adv = _logits({i: h for i, (h, _) in heads.items()}, test_feats["adv"], dev)
        for i, (h, val_acc) in heads.items():
            rows.append(
                {
                    "detector": name,
                    "attack": attack,
                    "type": types[attack],
                    "eps": eps,
                    "threshold_met": bool(chosen.loc[attack, "threshold_met"]),
                    "ad": i,
                    "layer": h.point,
                    "val_accuracy": val_acc,
                    **detection_metrics(z_clean[i], z_adv[i]),
                }
            )
        best = max((r for r in rows if r["attack"] == attack), key=lambda r: r["accuracy"])
        progress.info(
            "depth sweep %s on %s eps=%s: best AD(%d) accuracy %.3f",
            name,
            attack,
            eps,
            best["ad"],
            best["accuracy"],
        )
    frame = pd.DataFrame(rows)
    io.write_csv(out_csv, frame)
    return frame
