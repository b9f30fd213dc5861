"""Stage 3: adversarial examples of one (attack, eps) on each split, index-aligned with the clean
split.

An attack with ``against`` also fools a fitted detector (through the saliency it reads): its
statistics then say how many adversarials the detector still flags.
"""

from __future__ import annotations

import torch

from advsal import io
from advsal.attacks import ATTACKS, attack_params, perturbation_stats
from advsal.detectors import load_detector
from advsal.runtime import job_seed, progress, seed_everything, setup
from advsal.stages.common import Job, build_saliency, load_classifier, load_splits, split_xy
from advsal.tokens import eps_value
from advsal.training import batched


def make_attack(job: Job, eps, outputs, *, options, against=None) -> list[dict]:
    """``job``: the attack instance, its settings (type, classifier, constructor arguments),
    reading ``data`` and ``classifier``; ``eps``: the job's budget token; ``outputs``: (split,
    adversarials path, statistics path) per split; ``against``: None, or the paths and
    settings of the detector to fool (``{"detector": path, "saliency": settings or None,
    "saliency_state": path or None}``). The model, splits and detector are loaded once; each
    split is seeded on its own."""
    name, settings, seed, threads = job.name, job.settings, job.seed, job.threads
    dev = setup(seed, job.device, threads, "attack", name, eps)
    clf = load_classifier(job.files["classifier"], dev)
    splits = load_splits(job.files["data"])
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
    all_stats = []
    for split, out_adv, out_stats in outputs:
        seed_everything(
            job_seed(seed, "attack", name, eps, split), threads, cuda=dev.type == "cuda"
        )
        x, y = split_xy(splits, split, options["train_limit"])
        x_adv = atk.run(x, y, batch_size=options["batch_size"], device=dev)
        flags = {}
        if against is not None:  # how often the attacked detector still flags its inputs
            flags = {k: flagged(atk.objective, v, dev) for k, v in (("clean", x), ("adv", x_adv))}
        stats = perturbation_stats(clf, x, x_adv, y, device=dev, detected=flags.get("adv"))
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
        stats.update({f"detector_flags_{k}": v.float().mean().item() for k, v in flags.items()})
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
        all_stats.append(stats)
    return all_stats


def flagged(objective, images, device, batch_size: int = 256) -> torch.Tensor:
    """Whether the attacked detector calls each image adversarial (its logit > 0)."""
    return batched(objective.flags, [images], batch_size, device, grad=True)
