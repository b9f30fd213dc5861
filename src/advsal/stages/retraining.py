"""Attacks that see the detector, and the detector's training against them: Metzen et al.
(2017) Sec. 3.3 / 4.1.2 (the dynamic adversary) and model_based_saliency2020 Sec. 3.7 / 4.3 (the
white-box attack of App. C).

For such an attack instance, at one eps, against one detector instance, for each seed:

- ``retrain_detector``: the detector trained on the fly: each minibatch of clean training
  images has every image replaced by its adversarial with probability ``p_adv``, made against
  the detector as it is at that step (through the saliency it reads); the dynamic adversary's
  sigma is drawn uniformly from [0, 1] per batch. It starts from the static detector fitted to
  ``against_fit`` (``init: static``) or from a fresh one (``init: scratch``).
- ``retraining_attack``: the attack (at every sigma of the grid, where it has one) against one
  version of the detector (``static`` or ``retrained``), on the test images. As in Metzen's paper
  (Sec. 4.1.2: "we ignore adversarial examples that do not cause a misclassification"),
  detectability is measured on the adversarials f misclassifies against the true label and their
  clean images, and their count is kept; the white-box table reads the detector's flags on
  every adversarial.

The tables over these rows are :mod:`advsal.tables.retraining`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
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
from advsal.training import batched, fit, predict

if TYPE_CHECKING:
    import pandas as pd  # imported where used: training jobs never need it


@dataclass(frozen=True)
class Retraining:
    """One retraining job's record: the attack instance ``attack`` (its ``settings``) at ``eps``
    against the detector instance ``detector`` (its ``detector_settings``, the ``saliency``
    settings where it reads one), the run's ``options`` (``attack_options``), the files it
    reads (``data``, ``classifier``, the static ``detector`` fitted to ``against_fit``, and a
    trained saliency's ``saliency_state``) and its runtime."""

    attack: str
    eps: str
    detector: str
    settings: dict
    files: dict
    options: dict
    seed: int
    device: str
    detector_settings: dict | None = None  # what retraining needs (the attack alone does not)
    saliency: dict | None = None
    threads: int | None = None

    @classmethod
    def of_rule(cls, snakemake) -> Retraining:
        """The record of a ``retrain_detector`` or ``retraining_attack`` job."""
        wc, p = snakemake.wildcards, snakemake.params
        return cls(
            wc.attack,
            wc.eps,
            wc.detector,
            p.settings,
            dict(snakemake.input.items()),
            p.options,
            **p.runtime,
            detector_settings=p.get("detector"),
            saliency=p.saliency,
            threads=snakemake.threads,
        )

    @property
    def key(self) -> tuple[str, str, str]:
        return self.attack, self.eps, self.detector

    def frozen(self, device):
        """f with its parameters frozen (gradients flow to x only), and the saliency instance
        the detector reads (None where it reads none)."""
        clf = load_classifier(self.files["classifier"], device)
        for p in clf.parameters():
            p.requires_grad_(False)
        state = self.files.get("saliency_state")
        sal = build_saliency(self.saliency, clf, state, device) if self.saliency else None
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


def _train_in_rounds(det, cls, sal, atk_of, train, sets, training, options, desc) -> list[dict]:
    """model_based_saliency2020 Sec. 4.3: "we iteratively train the detectors against the
    white-box attack and allow the white-box attack access to the new defense". Each round the
    attack crafts adversarials of the training and validation images against the detector as
    it is; the detector then trains for ``epochs`` on the clean images against every round's
    adversarials so far (the classes weighted to balance), keeping its best epoch on this
    round's validation set (clean and adversarial, balanced accuracy). A round's training set
    is fixed while the detector trains on it, so clean images stay clean: the per-batch
    adversary of Metzen's Sec. 3.3 (``rounds: null``) re-crafts every batch against the
    detector's last step, and against an attack bounded only by the pixel range it drives the
    detector's clean and adversarial logits together (bench/whitebox_rounds.py)."""
    (x_tr, y_tr), (x_va, y_va) = sets
    device = next(det.parameters()).device
    bs, pool, history = train.keywords["batch_size"], [], []
    train_seed = train.keywords["seed"]
    val_adv = torch.cat([torch.zeros(len(x_va)), torch.ones(len(x_va))]).bool()

    def maps(x):
        return sal.run(x, device=device, progress=False) if cls.needs_saliency else None

    def crafted(x, y):
        det.eval()
        return atk_of(0.0).run(
            x, y, batch_size=options["batch_size"], device=device, progress=False
        )

    for r in range(1, training["rounds"] + 1):
        pool.append(crafted(x_tr, y_tr))
        x_all = torch.cat([x_tr, *pool])
        target = torch.cat([torch.zeros(len(x_tr)), torch.ones(len(x_all) - len(x_tr))])
        s_all = maps(x_all)
        weight = torch.where(target > 0, len(x_tr) / (len(x_all) - len(x_tr)), 1.0)
        x_val_adv = crafted(x_va, y_va)
        x_val = torch.cat([x_va, x_val_adv])
        s_val = maps(x_val)
        linf = torch.cat([torch.zeros(len(x_va)), (x_val_adv - x_va).flatten(1).abs().amax(1)])

        def step(rows, _gen, x_all=x_all, s_all=s_all, target=target, weight=weight):
            det.train()
            xb = x_all[rows].to(device)
            sb = None if s_all is None else s_all[rows].to(device)
            out = det(xb, sb)
            tb, wb = target[rows].to(device), weight[rows].to(device)
            loss = F.binary_cross_entropy_with_logits(out, tb, weight=wb)
            return loss, ((out > 0).float() == tb).sum().item()

        def val_metrics(x_val=x_val, s_val=s_val, linf=linf, target=target):
            inputs = [x_val] if s_val is None else [x_val, s_val]
            logits = batched(lambda x, s=None: det(x, s), inputs, bs, device).cpu()
            out = _validation_numbers(logits, val_adv, linf)
            out["val_acc"] = 0.5 * (out["val_flags_adv"] + 1.0 - out["val_flags_clean"])
            out["train_adv_share"] = float(target.mean())
            return out

        rows = train(len(x_all), step, val_metrics, desc=f"{desc}, round {r}", seed=train_seed + r)
        history += [{"round": r, **row} for row in rows]
    return history


def _validation_numbers(logits, is_adv, linf) -> dict:
    flags = logits > 0
    out = {
        "val_acc": float((flags == is_adv).float().mean()),
        "val_adv_share": float(is_adv.float().mean()),
    }
    for name, pick in (("clean", ~is_adv), ("adv", is_adv)):
        n = int(pick.sum())
        out[f"val_logit_{name}"] = float(logits[pick].mean()) if n else float("nan")
        out[f"val_flags_{name}"] = float(flags[pick].float().mean()) if n else float("nan")
    out["val_linf_adv"] = float(linf[is_adv].mean()) if int(is_adv.sum()) else float("nan")
    return out


def _train_per_batch(det, cls, sal, atk_of, train, sets, training, desc) -> list[dict]:
    """Metzen Sec. 3.3: each minibatch of clean training images has every image replaced by its
    adversarial with probability ``p_adv``, made against the detector as it is at that step;
    the epoch is chosen on a mixed validation set drawn the same way every epoch."""
    (x_tr, y_tr), (x_va, y_va) = sets
    dev = next(det.parameters()).device
    bs = train.keywords["batch_size"]

    def logits_of(x_in):
        s = sal.attribute(x_in) if cls.needs_saliency else None
        return det(x_in, s)

    def step(rows, gen):
        xb, yb = x_tr[rows].to(dev), y_tr[rows].to(dev)
        x_in, is_adv, _ = _mixed_batch(atk_of, det, xb, yb, gen, training["p_adv"])
        det.train()
        out = logits_of(x_in)
        loss = F.binary_cross_entropy_with_logits(out, is_adv)
        return loss, ((out > 0).float() == is_adv).sum().item()

    def val_metrics():
        """The mixed validation set's accuracy (the epoch is chosen on it), and what a reader
        needs to see a collapse: the share of adversarials, the clean and adversarial images'
        mean logit (the threshold is 0) and share flagged, the adversarials' mean L_inf."""
        val_gen = torch.Generator().manual_seed(train.keywords["seed"] + 1)  # the same draws
        logits, adv, linf = [], [], []
        for b in range(math.ceil(len(x_va) / bs)):
            xb, yb = (t[b * bs : (b + 1) * bs].to(dev) for t in (x_va, y_va))
            x_in, is_adv, _ = _mixed_batch(atk_of, det, xb, yb, val_gen, training["p_adv"])
            with torch.no_grad() if not cls.needs_saliency else torch.enable_grad():
                logits.append(logits_of(x_in).detach().cpu())
            adv.append(is_adv.cpu().bool())
            linf.append((x_in - xb).flatten(1).abs().amax(1).cpu())
        return _validation_numbers(torch.cat(logits), torch.cat(adv), torch.cat(linf))

    return train(len(x_tr), step, val_metrics, desc=desc)


def retrain_detector(job: Retraining, out_model, out_history) -> list[dict]:
    """The detector trained against the attack as it trains: ``job.settings["training"]``
    (epochs, p_adv, init, rounds); from the static detector (``init: static``) or a fresh one."""
    # the seed labels predate the rule names (retrain_detector, retraining_attack): renaming
    # them would reseed the jobs and change every number
    dev = setup(job.seed, job.device, job.threads, "dynamic_training", *job.key)
    attack, eps, detector, settings = job.attack, job.eps, job.detector, job.settings
    det_settings, options, seed = job.detector_settings, job.options, job.seed
    clf, sal = job.frozen(dev)
    training = settings["training"]
    splits = load_splits(job.files["data"])
    x_tr, y_tr = split_xy(splits, "train", options["train_limit"])
    x_va, y_va = split_xy(splits, "val")
    cls = DETECTORS.get(det_settings["type"])
    if training["init"] == "static":
        det = load_detector(job.files["detector"], classifier=clf, device=dev)
    else:
        kw = {"classifier": clf} if cls.needs_classifier else {}
        det = cls(tuple(x_tr.shape[1:]), **det_settings["params"], **kw).to(dev)
        if cls.needs_saliency:
            det.fit_normalizer(x_tr, sal.run(x_tr, device=dev, progress=False))
    e = eps_value(eps)

    def atk_of(sigma):
        return _adversary(settings, clf, det, sal, e, sigma, options["label"])

    train = partial(
        fit,
        det,
        epochs=training["epochs"],
        lr=det_settings["lr"],
        betas=det_settings["betas"],
        batch_size=det_settings["batch_size"],
        seed=seed,
        report=True,
    )
    sets = ((x_tr, y_tr), (x_va, y_va))
    if training.get("rounds"):
        desc = f"adversarial training of {detector} against {attack}"
        history = _train_in_rounds(det, cls, sal, atk_of, train, sets, training, options, desc)
    else:
        desc = f"retraining of {detector} against {attack} eps={eps}"
        history = _train_per_batch(det, cls, sal, atk_of, train, sets, training, desc)
    save_detector(
        out_model, det_settings["type"], det, extra={"name": detector, "retrained_against": attack}
    )
    io.write_csv(out_history, history)
    return history


def _measures(x, y, x_adv, clean_pred, adv_pred, flag_clean, flag_adv) -> dict:
    """What one attack run against one detector does to f and to the detector; detectability
    counts only the adversarials f misclassifies (Metzen)."""
    kept = adv_pred != y
    n_kept = int(kept.sum())
    detect = float("nan")
    if n_kept:
        detect = 0.5 * ((~flag_clean[kept]).float().mean() + flag_adv[kept].float().mean())
        detect = float(detect)
    return {
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


def retraining_attack(job: Retraining, version: str, model, out_csv) -> pd.DataFrame:
    """The attack (at every sigma of its grid) against one detector ``version`` (``static``:
    the fitted detector, or the retrained one), saved at ``model``; one row per sigma."""
    import pandas as pd

    # the seed labels of the old rule name and of the old version name, kept (see
    # retrain_detector): renaming them would reseed the jobs
    label, seeded_as = "dynamic_attack", {"retrained": "dynamic"}.get(version, version)
    dev = setup(job.seed, job.device, job.threads, label, *job.key, seeded_as)
    attack, eps, detector, settings = job.attack, job.eps, job.detector, job.settings
    options, seed = job.options, job.seed
    clf, sal = job.frozen(dev)
    det = load_detector(model, classifier=clf, device=dev)
    x, y = split_xy(load_splits(job.files["data"]), "test")
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
        keys = {"attack": attack, "detector": detector, "version": version, "eps": eps}
        measured = _measures(x, y, x_adv, clean_pred, adv_pred, flag_clean, flag_adv)
        rows.append({**keys, "seed": seed, "sigma": float(sigma), **measured})
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
            rows[-1]["n_kept"],
            len(x),
            rows[-1]["detectability"],
        )
    frame = pd.DataFrame(rows)
    io.write_csv(out_csv, frame)
    return frame
