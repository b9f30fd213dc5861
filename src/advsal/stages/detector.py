"""Stages 5 and 6: a detector fitted to one (attack, eps), then every fitted detector of an
instance scored on every (attack, eps) test set of its classifier."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from advsal import io
from advsal.detectors import DETECTORS, load_detector, save_detector
from advsal.detectors.base import OnFrozen
from advsal.runtime import progress, setup
from advsal.stages.common import (
    Job,
    load_adv,
    load_classifier,
    load_saliency,
    load_splits,
    split_xy,
)
from advsal.tokens import COMBINED, NO_EPS
from advsal.training import fit_detector, on_frozen, predict

if TYPE_CHECKING:
    import pandas as pd  # imported where used: training jobs never need it


def _inputs(cls, x, s):
    return [x, s] if cls.needs_saliency else [x]


def train_detector(
    job: Job, attack, eps, adv, out_model, out_history, *, sal_adv=None, train_limit=None
):
    """Fit detector instance ``name`` on balanced clean + adversarial train data, select on val.

    ``adv`` maps split -> {(attack, eps): adversarial file}: one source, or several for the
    combined detector (Table 6), where each clean image is paired with its adversarial from one
    source, the sources shuffled evenly over the images. ``job.files``: ``data``, and
    ``classifier`` and ``sal_clean`` where the kind reads them; ``sal_adv`` maps (attack, eps)
    -> maps file where it reads maps."""
    name, settings, seed, files = job.name, job.settings, job.seed, job.files
    dev = setup(seed, job.device, job.threads, "detector", name, attack, eps)
    cls = DETECTORS.get(settings["type"])
    splits = load_splits(files["data"])
    kw = {"classifier": load_classifier(files["classifier"], dev)} if cls.needs_classifier else {}
    sc = load_saliency(files["sal_clean"]) if cls.needs_saliency else None
    det = cls(tuple(splits.x["train"].shape[1:]), **settings["params"], **kw)
    training = {k: settings[k] for k in ("epochs", "lr", "batch_size", "betas")}
    if cls.attack_agnostic:
        history = _fit_clean(det, splits, sc, training, device=dev, seed=seed)
        return _save(det, name, settings, attack, eps, history, out_model, out_history)
    sa = {k: load_saliency(v) for k, v in (sal_adv or {}).items()} if cls.needs_saliency else None
    sets = {}
    for split in ("train", "val"):
        x = split_xy(splits, split, train_limit)[0]
        sources = sorted(adv[split])
        pick = mixed_sources(len(x), len(sources), seed)
        xa = pick_rows([load_adv(adv[split][k]) for k in sources], pick)
        s = None
        if cls.needs_saliency:
            s = torch.cat([sc[split], pick_rows([sa[k][split] for k in sources], pick)])
        sets[split] = (
            _inputs(cls, torch.cat([x, xa]), s),
            torch.cat([torch.zeros(len(x)), torch.ones(len(xa))]),
        )
    (tr_in, tr_y), (va_in, va_y) = sets["train"], sets["val"]
    det.fit_normalizer(tr_in[0], tr_in[1] if cls.needs_saliency else None)
    history = fit_detector(det, tr_in, tr_y, va_in, va_y, **training, device=dev, seed=seed)
    return _save(det, name, settings, attack, eps, history, out_model, out_history)


def _fit_clean(det, splits, maps, training, **kw) -> list[dict]:
    """An attack-agnostic detector: trained on the clean maps of every training image that has
    one (the saliency instance's ``train_limit``) with the images' labels, selected on val."""
    if maps is None:
        raise ValueError("an attack-agnostic detector trains on clean saliency maps")
    (s, y), (s_val, y_val) = [
        (maps[k], split_xy(splits, k)[1][: len(maps[k])]) for k in ("train", "val")
    ]
    return det.fit_clean(s, y, s_val, y_val, **training, **kw)


def _save(det, name, settings, attack, eps, history, out_model, out_history) -> list[dict]:
    save_detector(out_model, settings["type"], det, extra={"name": name})
    io.write_csv(out_history, history)
    best = max(h["val_acc"] for h in history)
    progress.info("detector %s fitted to %s eps=%s: val accuracy %.3f", name, attack, eps, best)
    return history


def _scorer(det, cls, frozen: dict, device):
    """``score(key, x, s)``: the detector's logits on an image set; for a detector with a
    frozen part, that part's output per set (``key``) is computed once and kept in ``frozen``
    for the instance's other fits on the same part."""
    part = det.frozen()
    if part is None:
        return lambda key, x, s: predict(det, _inputs(cls, x, s), device=device)
    head = OnFrozen(det)
    shared = getattr(part, "key", id(part))

    def score(key, x, s):
        if (shared, key) not in frozen:
            frozen[(shared, key)] = on_frozen(det, _inputs(cls, x, s), device=device)[1]
        return predict(head, frozen[(shared, key)], device=device)

    return score


def mixed_sources(n: int, k: int, seed: int) -> torch.Tensor:
    """For each of n images, which of k adversarial sources it is paired with (each source
    n / k times, shuffled; all zeros for one source)."""
    if k == 1:
        return torch.zeros(n, dtype=torch.long)
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed)) % k


def pick_rows(parts, pick: torch.Tensor) -> torch.Tensor:
    """Row i of ``parts[pick[i]]`` (index-aligned tensors of the same shape)."""
    if len(parts) == 1:
        return parts[0]
    out = torch.empty_like(parts[0])
    for j, part in enumerate(parts):
        out[pick == j] = part[pick == j]
    return out


def evaluate_detector(job: Job, fitted, tests, out_csv, *, combined=None) -> pd.DataFrame:
    """``fitted`` maps (attack, eps) -> detector file; ``tests`` maps (attack, eps) ->
    (adversarial test file, saliency file or None). One tidy row per (fit, test) cell.

    ``combined``: the (attack, eps) sources of the detector fitted to all of them at once
    (``fitted[("all", "none")]``); it gets one more cell, tested on the same mix of those
    attacks' test adversarials (attack_test ``all``)."""
    import pandas as pd

    from advsal.metrics import detection_metrics  # scikit-learn: ~1 s to import, only here

    name, seed, files = job.name, job.seed, job.files
    dev = setup(seed, job.device, job.threads, "evaluate", name)
    cls = DETECTORS.get(job.settings["type"])
    clf = load_classifier(files["classifier"], dev) if cls.needs_classifier else None
    x_clean = split_xy(load_splits(files["data"]), "test")[0]
    s_clean = load_saliency(files["sal_clean"])["test"] if cls.needs_saliency else None
    test_sets = {
        key: (load_adv(adv), load_saliency(sal)["test"] if cls.needs_saliency else None)
        for key, (adv, sal) in tests.items()
    }
    if combined:
        sources = sorted(tuple(k) for k in combined)
        pick = mixed_sources(len(x_clean), len(sources), seed)
        x_mix = pick_rows([test_sets[k][0] for k in sources], pick)
        s_mix = pick_rows([test_sets[k][1] for k in sources], pick) if cls.needs_saliency else None
        mixed_sets = {(COMBINED, NO_EPS): (x_mix, s_mix)}
    rows = []
    frozen: dict = {}  # a frozen part's output per image set, computed once for every fit
    for (a_fit, e_fit), path in fitted.items():
        det = load_detector(path, classifier=clf, device=dev)
        score = _scorer(det, cls, frozen, dev)
        score_clean = score(("clean", None), x_clean, s_clean)
        extra = mixed_sets if a_fit == COMBINED else {}
        for (a_test, e_test), (x_adv, s_adv) in {**test_sets, **extra}.items():
            score_adv = score((a_test, e_test), x_adv, s_adv)
            rows.append(
                {
                    "detector": name,
                    "attack_fit": a_fit,
                    "eps_fit": e_fit,
                    "attack_test": a_test,
                    "eps_test": e_test,
                    **detection_metrics(score_clean, score_adv),
                }
            )
    frame = pd.DataFrame(rows)
    io.write_csv(out_csv, frame)
    progress.info("detector %s: %d cells", name, len(frame))
    return frame
