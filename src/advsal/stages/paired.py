"""Nguyen 2018 Tables 1-4: a contrastive detector scored pair by pair.

For each attack, the pairs are the test images f1 gets right whose adversarial fools it, each
with its own adversarial (the thesis: "adversarial examples x* that successfully fool f1 ... we
pair the same amount of benign images"). Per attack and subset:

- ``mask_keeps_class`` (Table 1): share of adversarials whose mask f2 labels as it labels the
  clean image's mask; ``recovery``: share whose mask f2 labels with the true class;
- ``tp`` / ``tn`` (Tables 2-3): adversarials flagged, their clean partners passed;
- subset ``filtered`` (Table 4): only pairs whose clean mask f2 labels correctly.

An attack crafted on another classifier than f1 is the transferred setting (Table 3).
"""

from __future__ import annotations

import pandas as pd

from advsal import io
from advsal.detectors import load_detector
from advsal.runtime import progress, setup
from advsal.stages.common import (
    Job,
    load_adv,
    load_classifier,
    load_saliency,
    load_splits,
    split_xy,
)
from advsal.training import predict

SUBSETS = ("all", "filtered")


def _labels(det, clf, x, s, dev):
    """f1's label, f2's label of the mask and the detector's score (from the same logits), per
    image."""
    z1, z2 = predict(clf, [x], device=dev), predict(det.mask_net, [s], device=dev)
    return z1.argmax(1), z2.argmax(1), det.score(z1, z2)


def pair_rows(y, clean, adv) -> list[dict]:
    """``clean`` / ``adv``: (f1 label, f2 label, score) per test image, index-aligned."""
    y1, y2, score = clean
    y1a, y2a, score_a = adv
    fooled = (y1 == y) & (y1a != y)
    rows = []
    for subset, keep in zip(SUBSETS, (fooled, fooled & (y2 == y)), strict=True):
        n = int(keep.sum())

        def share(hit, n=n, keep=keep):
            return float(hit[keep].float().mean()) if n else float("nan")

        rows.append(
            {
                "subset": subset,
                "n_pairs": n,
                "mask_keeps_class": share(y2a == y2),
                "recovery": share(y2a == y),
                "tp": share(score_a > 0),
                "tn": share(score <= 0),
            }
        )
    return rows


def paired_table(
    job: Job, tests, out_csv, *, crafted_on: dict, types: dict, own_classifier: str
) -> pd.DataFrame:
    """``job``: the contrastive detector, reading ``data``, ``classifier``, its fitted
    ``detector`` and its clean maps ``sal_clean``; ``tests``: (attack, eps) -> (adversarial
    test file, the detector's saliency maps of it); ``crafted_on`` / ``types``: attack -> the
    classifier it attacks / its registered type."""
    name, files = job.name, job.files
    dev = setup(job.seed, job.device, job.threads, "paired", name)
    clf = load_classifier(files["classifier"], dev).eval()
    det = load_detector(files["detector"], classifier=clf, device=dev)
    if not det.contrasts:
        raise ValueError(f"detector {name!r} has no mask classifier: no paired table")
    x, y = split_xy(load_splits(files["data"]), "test")
    clean = _labels(det, clf, x, load_saliency(files["sal_clean"])["test"], dev)
    f1_acc, f2_acc = float((clean[0] == y).float().mean()), float((clean[1] == y).float().mean())
    rows = []
    for (attack, eps), (adv, sal) in tests.items():
        labels = _labels(det, clf, load_adv(adv), load_saliency(sal)["test"], dev)
        for row in pair_rows(y, clean, labels):
            rows.append(
                {
                    "detector": name,
                    "attack": attack,
                    "type": types[attack],
                    "eps": eps,
                    "crafted_on": crafted_on[attack],
                    "setting": "direct" if crafted_on[attack] == own_classifier else "transferred",
                    **row,
                    "f1_clean": f1_acc,
                    "f2_clean": f2_acc,
                }
            )
    frame = pd.DataFrame(rows)
    io.write_csv(out_csv, frame)
    progress.info(
        "paired %s: f1 %.3f and f2 (masks) %.3f on clean test images; %d rows",
        name,
        f1_acc,
        f2_acc,
        len(frame),
    )
    return frame
