"""Stage 3: adversarial examples of one (attack, eps, split), index-aligned with the clean split.

An attack with ``against`` also fools a fitted detector (through the saliency it reads): its
statistics then say how many adversarials the detector still flags.
"""

from __future__ import annotations

import torch

from advsal import io
from advsal.attacks import ATTACKS, perturbation_stats
from advsal.config import attack_params, eps_value
from advsal.detectors import load_detector
from advsal.runtime import progress, setup
from advsal.stages.common import build_saliency, load_classifier, load_splits, split_xy
from advsal.training import predict


def make_attack(
    name,
    settings,
    eps,
    split,
    data,
    model,
    out_adv,
    out_stats,
    *,
    options,
    seed,
    device,
    threads=None,
    against=None,
) -> dict:
    """``settings``: the instance's (type, classifier, constructor arguments); ``eps``: the
    job's budget token; ``against``: None, or the paths and settings of the detector to fool
    (``{"detector": path, "saliency": settings or None, "saliency_state": path or None}``)."""
    dev = setup(seed, device, threads, "attack", name, eps, split)
    clf = load_classifier(model, dev)
    x, y = split_xy(load_splits(data), split, options["train_limit"])
    cls = ATTACKS.get(settings["type"])
    extra = {}
    if against is not None:
        det = load_detector(against["detector"], classifier=clf, device=dev)
        extra["detector"] = det
        if against["saliency"] is not None:
            extra["saliency"] = build_saliency(
                against["saliency"], clf, against.get("saliency_state"), dev
            )
    atk = cls(clf, eps=eps_value(eps), label=options["label"], **attack_params(settings), **extra)
    x_adv = atk.run(x, y, batch_size=options["batch_size"], device=dev)
    stats = perturbation_stats(clf, x, x_adv, y, device=dev)
    stats.update(
        attack=name,
        type=settings["type"],
        classifier=settings["classifier"],
        against=settings.get("against", ""),
        eps=eps,
        split=split,
        norm=cls.norm,
        title=cls.title or name,
    )
    if against is not None:
        stats.update(_evasion(atk.objective, clf, x, x_adv, y, dev))
    io.save_tensors(out_adv, {"x_adv": x_adv, "y": y, "attack": name, "eps": eps})
    io.write_json(out_stats, stats)
    progress.info(
        "%s eps=%s on %s: f accuracy %.3f -> %.3f",
        name,
        eps,
        split,
        stats["accuracy_clean"],
        stats["accuracy_adv"],
    )
    return stats


def _evasion(objective, clf, x, x_adv, y, device) -> dict:
    """How often the attacked detector flags the adversarials, and how many fool both."""

    def flagged(images):
        out = []
        for i in range(0, len(images), 256):
            xb = images[i : i + 256].to(device)
            with torch.enable_grad():  # the saliency map is a gradient
                out.append((objective.detection(xb) > 0).detach().cpu())
        return torch.cat(out)

    pred = predict(clf, [x_adv], device=device).argmax(1)
    correct = predict(clf, [x], device=device).argmax(1) == y
    det_adv = flagged(x_adv)
    both = correct & (pred != y) & ~det_adv
    return {
        "detector_flags_clean": flagged(x).float().mean().item(),
        "detector_flags_adv": det_adv.float().mean().item(),
        "fools_both": (both.sum() / correct.sum().clamp(min=1)).item(),
    }


def attack_summary(stats_paths, out_csv):
    import pandas as pd  # not needed by the attack jobs themselves

    frame = pd.DataFrame([io.read_json(p) for p in stats_paths])
    io.write_csv(out_csv, frame)
    return frame
