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
"""

from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from advsal import io
from advsal.attacks import ATTACKS
from advsal.config import attack_params, eps_value
from advsal.detectors import DETECTORS, load_detector, save_detector
from advsal.optim import Adam
from advsal.runtime import progress, setup
from advsal.stages.attack import flagged
from advsal.stages.common import build_saliency, load_classifier, load_splits, split_xy
from advsal.training import predict

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


def _scores(det, sal, x, device, batch_size=256):
    """The detector's logits, with the saliency map computed on the fly where it reads one."""
    out = []
    for i in range(0, len(x), batch_size):
        xb = x[i : i + batch_size].to(device)
        s = sal.attribute(xb) if det.needs_saliency else None
        with torch.no_grad():
            out.append(det(xb, s).cpu())
    return torch.cat(out) if out else torch.zeros(0)


def _mixed_batch(atk_of, det, xb, gen, p_adv):
    """Replace each image by its adversarial with probability p_adv (sigma ~ U[0, 1])."""
    sigma = float(torch.rand((), generator=gen))
    is_adv = torch.rand(len(xb), generator=gen) < p_adv
    x_in = xb.clone()
    if is_adv.any():
        sel = is_adv.to(xb.device)
        x_in[sel] = atk_of(sigma)(xb[sel])
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
    x_tr = split_xy(splits, "train", options["train_limit"])[0]
    x_va = split_xy(splits, "val")[0]
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

    opt = Adam(
        [p for p in det.parameters() if p.requires_grad],
        lr=det_settings["lr"],
        betas=tuple(det_settings["betas"]),
    )
    gen = torch.Generator().manual_seed(seed)
    bs = det_settings["batch_size"]
    history, best, best_state = [], -1.0, copy.deepcopy(det.state_dict())
    for epoch in range(1, training["epochs"] + 1):
        idx = torch.randperm(len(x_tr), generator=gen)
        tot_loss = tot_ok = 0.0
        for b in range(math.ceil(len(idx) / bs)):
            xb = x_tr[idx[b * bs : (b + 1) * bs]].to(dev)
            x_in, is_adv, _ = _mixed_batch(atk_of, det, xb, gen, training["p_adv"])
            det.train()
            loss, ok = loss_of(x_in, is_adv)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            tot_loss += loss.item() * len(xb)
            tot_ok += ok.sum().item()
        det.eval()
        val_gen = torch.Generator().manual_seed(seed + 1)  # the same draws every epoch
        val_ok = 0.0
        for b in range(math.ceil(len(x_va) / bs)):
            xb = x_va[b * bs : (b + 1) * bs].to(dev)
            x_in, is_adv, _ = _mixed_batch(atk_of, det, xb, val_gen, training["p_adv"])
            with torch.no_grad() if not cls.needs_saliency else torch.enable_grad():
                val_ok += loss_of(x_in, is_adv)[1].sum().item()
        row = {
            "epoch": epoch,
            "train_loss": tot_loss / len(x_tr),
            "train_acc": tot_ok / len(x_tr),
            "val_acc": val_ok / len(x_va),
        }
        history.append(row)
        progress.info(
            "dynamic training of %s against %s eps=%s, epoch %d/%d: train acc %.3f, val acc %.3f",
            detector,
            attack,
            eps,
            epoch,
            training["epochs"],
            row["train_acc"],
            row["val_acc"],
        )
        if row["val_acc"] > best:
            best, best_state = row["val_acc"], copy.deepcopy(det.state_dict())
    det.load_state_dict(best_state)
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


def dynamic_tables(csvs, out_all, out_adaptive, threshold: float = 0.3) -> dict:
    """Every (attack, eps, detector, version, sigma) row, and the adaptive column: per detector
    and version, the sigma where it does worst, over every sigma and over the sigmas that bring
    f's accuracy below ``threshold`` (the paper's "near chance while f is below 30%")."""
    import pandas as pd

    from advsal.tables import read_table

    frame = pd.concat([read_table(p) for p in csvs], ignore_index=True)
    rows = []
    keys = ["attack", "eps", "detector", "version", "seed"]
    for key, grp in frame.groupby(keys, sort=False):
        row = dict(zip(keys, key, strict=True))
        row["detectability_sigma0"] = float(grp.sort_values("sigma")["detectability"].iloc[0])
        for suffix, sub in (("", grp), ("_fooled", grp[grp["accuracy_adv"] < threshold])):
            scored = sub.dropna(subset=["detectability"])
            worst = scored.loc[scored["detectability"].idxmin()] if len(scored) else None
            for col, field in (
                ("detectability_min", "detectability"),
                ("sigma_at_min", "sigma"),
                ("accuracy_adv_at_min", "accuracy_adv"),
                ("n_kept_at_min", "n_kept"),
            ):
                row[col + suffix] = float("nan") if worst is None else worst[field]
        row["threshold"] = threshold
        row["fools_both_max"] = float(grp["fools_both"].max())
        rows.append(row)
    adaptive = pd.DataFrame(rows)
    io.write_csv(out_all, frame)
    io.write_csv(out_adaptive, adaptive)
    return {"dynamic": frame, "adaptive": adaptive}


# f's accuracy on the adversarials; the share of adversarials the detector flags (the paper's
# "defense accuracy"); the share of clean test images it flags; its accuracy on the kept
# adversarials and their clean images; the share of test images that fool f and the detector
WHITEBOX_COLUMNS = ("accuracy_adv", "detection_rate", "false_alarms", "detectability", "fools_both")


def whitebox_table(csvs, out_csv) -> pd.DataFrame:
    """model_based_saliency2020 Table 3: per attack without a sigma grid, eps, detector and
    version (static = before, dynamic = after adversarial training), the mean and std over
    seeds of f's accuracy and the detector's accuracy on the adversarials."""
    import pandas as pd

    from advsal.tables import read_table

    frame = pd.concat([read_table(p) for p in csvs], ignore_index=True)
    frame["detection_rate"] = frame["detector_flags_adv"]
    frame["false_alarms"] = frame["detector_flags_clean"]
    keys = ["attack", "eps", "detector", "version"]
    stats = frame.groupby(keys, sort=False)[list(WHITEBOX_COLUMNS)].agg(["mean", "std"])
    stats.columns = [f"{col}_{stat}" for col, stat in stats.columns]
    stats.insert(0, "n_seeds", frame.groupby(keys, sort=False)["seed"].nunique())
    out = stats.reset_index()
    io.write_csv(out_csv, out)
    return out
