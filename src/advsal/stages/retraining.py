"""Attacks that see the detector, and the detector's training against them: Metzen et al.
(2017) Sec. 3.3 / 4.1.2 (the dynamic adversary) and model_based_saliency2020 Sec. 3.7 / 4.3 (the
white-box attack of App. C).

For such an attack instance, at one eps, against one detector instance, for each seed:

- ``train_dynamic_detector``: the detector trained on the fly: each minibatch of clean training
  images has every image replaced by its adversarial with probability ``p_adv``, made against
  the detector as it is at that step (through the saliency it reads); the dynamic adversary's
  sigma is drawn uniformly from [0, 1] per batch. It starts from the static detector fitted to
  ``against_fit`` (``init: static``) or from a fresh one (``init: scratch``).
- ``dynamic_attack``: the attack (at every sigma of the grid, where it has one) against one
  version of the detector (``static`` or ``dynamic``), on the test images. As in Metzen's paper
  (Sec. 4.1.2: "we ignore adversarial examples that do not cause a misclassification"),
  detectability is measured on the adversarials f misclassifies against the true label and their
  clean images, and their count is kept; the white-box table reads the detector's flags on
  every adversarial.

The tables over these rows are :mod:`advsal.tables.retraining`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from advsal import io
from advsal.attacks import ATTACKS, attack_params
from advsal.detectors import DETECTORS, load_detector, save_detector
from advsal.runtime import progress, setup
from advsal.stages.attack import flagged
from advsal.stages.common import build_saliency, load_classifier, load_splits, split_xy
from advsal.tokens import eps_value
from advsal.training import fit, predict

if TYPE_CHECKING:
    import pandas as pd  # imported where used: training jobs never need it


def _frozen(classifier, saliency, saliency_state, device):
    """f with its parameters frozen (gradients flow to x only), and the saliency instance the
    detector reads (None where it reads none)."""
    clf = load_classifier(classifier, device)
    for p in clf.parameters():
        p.requires_grad_(False)
    sal = build_saliency(saliency, clf, saliency_state, device) if saliency else None
    return clf, sal


def _adversary(settings, clf, det, sal, eps, sigma, label):
    """The attack against ``det``; ``sigma`` only for an attack with a sigma grid."""
    cls = ATTACKS.get(settings["type"])
    kw = {"sigma": sigma} if cls.sigma_grid else {}
    params = attack_params(settings)
    return cls(clf, eps=eps, label=label, detector=det, saliency=sal, **kw, **params)


def _mixed_batch(atk_of, det, xb, yb, gen, p_adv):
    """Replace each image by its adversarial with probability p_adv (sigma ~ U[0, 1]); ``yb``
    the true labels (an attack with ``label: true`` reads them, the others ignore them)."""
    sigma = float(torch.rand((), generator=gen))
    is_adv = torch.rand(len(xb), generator=gen) < p_adv
    x_in = xb.clone()
    if is_adv.any():
        sel = is_adv.to(xb.device)
        x_in[sel] = atk_of(sigma)(xb[sel], yb[sel])
    return x_in, is_adv.float().to(xb.device), sigma


def train_dynamic_detector(
    attack,
    settings,
    eps,
    detector,
    det_settings,
    data,
    classifier,
    static,
    out_model,
    out_history,
    *,
    saliency=None,
    saliency_state=None,
    options,
    seed,
    device,
    threads=None,
) -> list[dict]:
    """``settings``: the dynamic attack instance (``training``: epochs, p_adv, init);
    ``det_settings``: the detector instance (its lr, betas, batch_size, params); ``static``:
    the detector fitted to the static attack at this eps; ``saliency``: the saliency instance's
    settings where the detector reads one."""
    dev = setup(seed, device, threads, "dynamic_training", attack, eps, detector)
    clf, sal = _frozen(classifier, saliency, saliency_state, dev)
    training = settings["training"]
    splits = load_splits(data)
    x_tr, y_tr = split_xy(splits, "train", options["train_limit"])
    x_va, y_va = split_xy(splits, "val")
    cls = DETECTORS.get(det_settings["type"])
    if training["init"] == "static":
        det = load_detector(static, classifier=clf, device=dev)
    else:
        kw = {"classifier": clf} if cls.needs_classifier else {}
        det = cls(tuple(x_tr.shape[1:]), **det_settings["params"], **kw).to(dev)
        if cls.needs_saliency:
            det.fit_normalizer(x_tr, sal.run(x_tr, device=dev, progress=False))
    e = eps_value(eps)

    def atk_of(sigma):
        return _adversary(settings, clf, det, sal, e, sigma, options["label"])

    def loss_of(x_in, is_adv):
        s = sal.attribute(x_in) if cls.needs_saliency else None
        out = det(x_in, s)
        return F.binary_cross_entropy_with_logits(out, is_adv), ((out > 0).float() == is_adv)

    bs = det_settings["batch_size"]

    def step(rows, gen):
        xb, yb = x_tr[rows].to(dev), y_tr[rows].to(dev)
        x_in, is_adv, _ = _mixed_batch(atk_of, det, xb, yb, gen, training["p_adv"])
        det.train()
        loss, ok = loss_of(x_in, is_adv)
        return loss, ok.sum().item()

    def validate():
        val_gen = torch.Generator().manual_seed(seed + 1)  # the same draws every epoch
        val_ok = 0.0
        for b in range(math.ceil(len(x_va) / bs)):
            xb, yb = (t[b * bs : (b + 1) * bs].to(dev) for t in (x_va, y_va))
            x_in, is_adv, _ = _mixed_batch(atk_of, det, xb, yb, val_gen, training["p_adv"])
            with torch.no_grad() if not cls.needs_saliency else torch.enable_grad():
                val_ok += loss_of(x_in, is_adv)[1].sum().item()
        return {"val_acc": val_ok / len(x_va)}

    history = fit(
        det,
        len(x_tr),
        step,
        validate,
        epochs=training["epochs"],
        lr=det_settings["lr"],
        betas=det_settings["betas"],
        batch_size=bs,
        seed=seed,
        desc=f"dynamic training of {detector} against {attack} eps={eps}",
        report=True,
    )
    save_detector(out_model, det_settings["type"], det, extra={"name": detector, "dynamic": attack})
    io.write_csv(out_history, history)
    return history


def dynamic_attack(
    attack,
    settings,
    eps,
    detector,
    version,
    data,
    classifier,
    model,
    out_csv,
    *,
    saliency=None,
    saliency_state=None,
    options,
    seed,
    device,
    threads=None,
) -> pd.DataFrame:
    """The dynamic adversary at every sigma against one detector version; one row per sigma."""
    import pandas as pd

    dev = setup(seed, device, threads, "dynamic_attack", attack, eps, detector, version)
    clf, sal = _frozen(classifier, saliency, saliency_state, dev)
    det = load_detector(model, classifier=clf, device=dev)
    x, y = split_xy(load_splits(data), "test")
    if settings.get("test_limit"):
        x, y = x[: settings["test_limit"]], y[: settings["test_limit"]]
    clean_pred = predict(clf, [x], device=dev).argmax(1)
    rows = []
    for sigma in settings.get("sigma") or [float("nan")]:
        atk = _adversary(settings, clf, det, sal, eps_value(eps), sigma, options["label"])
        x_adv = atk.run(x, y, batch_size=options["batch_size"], device=dev, progress=False)
        adv_pred = predict(clf, [x_adv], device=dev).argmax(1)
        flag_clean = flagged(atk.objective, x, dev)
        flag_adv = flagged(atk.objective, x_adv, dev)
        kept = adv_pred != y  # Metzen: only adversarials f misclassifies count
        n_kept = int(kept.sum())
        detect = float("nan")
        if n_kept:
            detect = 0.5 * ((~flag_clean[kept]).float().mean() + flag_adv[kept].float().mean())
            detect = float(detect)
        rows.append(
            {
                "attack": attack,
                "detector": detector,
                "version": version,
                "eps": eps,
                "seed": seed,
                "sigma": float(sigma),
                "n": len(x),
                "accuracy_clean": float((clean_pred == y).float().mean()),
                "accuracy_adv": float((adv_pred == y).float().mean()),
                "n_kept": n_kept,
                "detectability": detect,
                "detector_flags_clean": float(flag_clean.float().mean()),
                "detector_flags_adv": float(flag_adv.float().mean()),
                "fools_both": float((kept & ~flag_adv).float().mean()),
                "linf": float((x_adv - x).flatten(1).abs().amax(1).mean()),
            }
        )
        progress.info(
            "%s eps=%s sigma=%.2f vs %s (%s, seed %d): f accuracy %.3f, kept %d/%d, "
            "detectability %.3f",
            attack,
            eps,
            sigma,
            detector,
            version,
            seed,
            rows[-1]["accuracy_adv"],
            n_kept,
            len(x),
            detect,
        )
    frame = pd.DataFrame(rows)
    io.write_csv(out_csv, frame)
    return frame
