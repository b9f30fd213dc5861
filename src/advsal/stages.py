"""The pipeline's stages as plain functions of paths and config.

``workflow/scripts/*.py`` are thin wrappers that pass ``snakemake.input/output/params`` here; the
tests call the same functions. Every output is written atomically (advsal.io).
"""

from __future__ import annotations

import logging

import pandas as pd
import torch

from advsal import io
from advsal.attacks import ATTACKS, perturbation_stats
from advsal.config import attack_params, detector_settings, eps_value
from advsal.data import Splits, load_dataset
from advsal.data.base import SPLITS
from advsal.detectors import DETECTORS, load_detector, save_detector
from advsal.models import build, load_model, save_model
from advsal.runtime import pick_device, seed_everything
from advsal.saliency import SALIENCY
from advsal.training import as_float, fit_classifier, fit_detector, predict

log = logging.getLogger(__name__)


def setup(config: dict, threads: int | None = None, salt: str = "") -> torch.device:
    """Seed from the config seed (plus a per-job salt) and pick the device."""
    device = pick_device(config["device"])
    seed_everything(config["seed"] + _salt(salt), threads, cuda=device.type == "cuda")
    log.info("device %s, torch %s, threads %s", device, torch.__version__, threads)
    return device


def _salt(text: str) -> int:
    return sum((i + 1) * ord(c) for i, c in enumerate(text)) % 100_003


def load_splits(path) -> Splits:
    return Splits.from_dict(io.load_tensors(path, expect=("classes", "x_train", "y_test")))


def split_xy(splits: Splits, split: str, config: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """Float images and labels of a split; the train split is cut to ``train_limit``."""
    x, y = splits.x[split], splits.y[split]
    limit = config["attack_options"]["train_limit"]
    if split == "train" and limit:
        x, y = x[:limit], y[:limit]
    return as_float(x), y


# -- 1. data ------------------------------------------------------------------------------
def make_data(config: dict, out: str) -> dict:
    ds = config["dataset"]
    splits = load_dataset(ds["name"], ds, config["seed"])
    io.save_tensors(out, splits.to_dict())
    summary = {s: int(len(splits.y[s])) for s in SPLITS}
    log.info(
        "dataset %s: %s, image shape %s", ds["name"], summary, tuple(splits.x["train"].shape[1:])
    )
    return summary


# -- 2. classifier ------------------------------------------------------------------------
def train_classifier(config, data, out_model, out_metrics, out_history, threads=None) -> dict:
    device = setup(config, threads, "classifier")
    splits = load_splits(data)
    cc = config["classifier"]
    in_shape = tuple(splits.x["train"].shape[1:])
    kwargs = {"n_out": len(splits.classes), "dropout": cc["dropout"]}
    model = build(cc["arch"], in_shape, **kwargs)
    history = fit_classifier(
        model,
        splits.x["train"],
        splits.y["train"],
        splits.x["val"],
        splits.y["val"],
        epochs=cc["epochs"],
        lr=cc["lr"],
        batch_size=cc["batch_size"],
        device=device,
        seed=config["seed"],
    )
    metrics = {
        f"{s}_acc": (predict(model, [splits.x[s]], device=device).argmax(1) == splits.y[s])
        .float()
        .mean()
        .item()
        for s in SPLITS
    }
    metrics["arch"] = cc["arch"]
    metrics["epochs"] = cc["epochs"]
    save_model(out_model, model, cc["arch"], in_shape, kwargs)
    io.write_csv(out_history, pd.DataFrame(history))
    io.write_json(out_metrics, metrics)
    log.info("classifier: %s", metrics)
    return metrics


# -- 3. attacks ---------------------------------------------------------------------------
def make_attack(config, attack, eps, split, data, model_path, out_adv, out_stats, threads=None):
    device = setup(config, threads, f"{attack}/{eps}/{split}")
    spec = config["attacks"][attack]
    model, _ = load_model(model_path, device)
    x, y = split_xy(load_splits(data), split, config)
    cls = ATTACKS.get(spec.get("type", attack))
    opts = config["attack_options"]
    atk = cls(model, eps=eps_value(eps), label=opts["label"], **attack_params(spec))
    x_adv = atk.run(x, y, batch_size=opts["batch_size"], device=device)
    stats = perturbation_stats(model, x, x_adv, y, device=device)
    stats.update(
        attack=attack,
        type=spec.get("type", attack),
        eps=eps,
        split=split,
        norm=cls.norm,
        title=cls.title or attack,
    )
    io.save_tensors(out_adv, {"x_adv": x_adv, "y": y, "attack": attack, "eps": eps})
    io.write_json(out_stats, stats)
    log.info("%s eps=%s on %s: %s", attack, eps, split, stats)
    return stats


def load_adv(path) -> torch.Tensor:
    return io.load_tensors(path, expect=("x_adv",))["x_adv"]


def attack_summary(stats_paths, out_csv) -> pd.DataFrame:
    frame = pd.DataFrame([io.read_json(p) for p in stats_paths])
    io.write_csv(out_csv, frame)
    return frame


# -- 4. saliency --------------------------------------------------------------------------
def make_saliency(config, data, model_path, out, adv_paths=None, threads=None) -> None:
    """Saliency of every split: clean images, or the adversarials in ``adv_paths[split]``."""
    device = setup(config, threads, "saliency")
    model, _ = load_model(model_path, device)
    sal = config["saliency"]
    method = SALIENCY.get(sal["method"])(model, **sal["params"])
    splits = load_splits(data)
    maps = {}
    for split in SPLITS:
        x = load_adv(adv_paths[split]) if adv_paths else split_xy(splits, split, config)[0]
        maps[split] = method.run(x, batch_size=sal["batch_size"], device=device)
    io.save_tensors(out, {"method": sal["method"], **maps})


def load_saliency(path) -> dict:
    return io.load_tensors(path, expect=SPLITS)


# -- 5. detectors -------------------------------------------------------------------------
def _detector_inputs(det_cls, x, s):
    return [x, s] if det_cls.needs_saliency else [x]


def _balanced(det_cls, x_clean, s_clean, x_adv, s_adv):
    inputs = _detector_inputs(det_cls, torch.cat([x_clean, x_adv]), _cat(s_clean, s_adv))
    labels = torch.cat([torch.zeros(len(x_clean)), torch.ones(len(x_adv))])
    return inputs, labels


def _cat(a, b):
    return None if a is None else torch.cat([a, b])


def train_detector(
    config,
    name,
    data,
    sal_clean,
    adv,
    sal_adv,
    out_model,
    out_history,
    model_path=None,
    threads=None,
):
    """Train detector ``name`` on balanced clean + adversarial train data; select on val.

    ``adv`` maps split -> adversarial file of the (attack, eps) it is fitted to.
    """
    device = setup(config, threads, f"detector/{name}/{adv['train']}")
    st = detector_settings(config, name)
    cls = DETECTORS.get(st["type"])
    splits = load_splits(data)
    sc, sa = load_saliency(sal_clean), load_saliency(sal_adv)
    kw = {}
    if cls.needs_classifier:
        kw["classifier"] = load_model(model_path, device)[0]
    sets = {}
    for split in ("train", "val"):
        x = split_xy(splits, split, config)[0]
        s_c = sc[split] if cls.needs_saliency else None
        s_a = sa[split] if cls.needs_saliency else None
        sets[split] = _balanced(cls, x, s_c, load_adv(adv[split]), s_a)
    det = cls(tuple(splits.x["train"].shape[1:]), **st["params"], **kw)
    (tr_in, tr_y), (va_in, va_y) = sets["train"], sets["val"]
    det.fit_normalizer(tr_in[0], tr_in[1] if cls.needs_saliency else None)
    history = fit_detector(
        det,
        tr_in,
        tr_y,
        va_in,
        va_y,
        epochs=st["epochs"],
        lr=st["lr"],
        batch_size=st["batch_size"],
        betas=config["detector_training"]["betas"],
        device=device,
        seed=config["seed"],
    )
    save_detector(out_model, st["type"], det, extra={"name": name})
    io.write_csv(out_history, pd.DataFrame(history))
    return history


# -- 6. evaluation ------------------------------------------------------------------------
def evaluate_detector(
    config, name, data, sal_clean, fitted, tests, out_csv, model_path=None, threads=None
) -> pd.DataFrame:
    """Score every fitted detector of kind ``name`` on every (attack, eps) test set.

    ``fitted`` maps (attack, eps) -> detector file; ``tests`` maps (attack, eps) -> (adversarial
    test file, saliency file). One tidy row per (fit, test) cell.
    """
    from advsal.metrics import detection_metrics

    device = setup(config, threads, f"eval/{name}")
    st = detector_settings(config, name)
    cls = DETECTORS.get(st["type"])
    clf = load_model(model_path, device)[0] if cls.needs_classifier else None
    x_clean = split_xy(load_splits(data), "test", config)[0]
    s_clean = load_saliency(sal_clean)["test"] if cls.needs_saliency else None
    test_sets = {
        key: (load_adv(adv), load_saliency(sal)["test"] if cls.needs_saliency else None)
        for key, (adv, sal) in tests.items()
    }
    rows = []
    for (a_fit, e_fit), path in fitted.items():
        det = load_detector(path, classifier=clf, device=device)
        score_clean = predict(det, _detector_inputs(cls, x_clean, s_clean), device=device)
        for (a_test, e_test), (x_adv, s_adv) in test_sets.items():
            score_adv = predict(det, _detector_inputs(cls, x_adv, s_adv), device=device)
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
    return frame


# -- 7. figures that need tensors -----------------------------------------------------------
def examples_figure(
    config, attack, data, model_path, chosen_csv, sal_clean, adv_paths, sal_paths, out, plot_opts
) -> None:
    """Zhang Fig. 1: clean vs adversarial test images and their saliency, with f's labels."""
    from pathlib import Path

    from advsal.plots import examples_figure as draw
    from advsal.tables import read_table

    token = read_table(chosen_csv).set_index("attack").loc[attack, "eps"]
    i = [Path(p).parent.name for p in adv_paths].index(token)
    n = plot_opts["n_examples"]
    x = split_xy(load_splits(data), "test", config)[0][:n]
    x_adv = load_adv(adv_paths[i])[:n]
    model, _ = load_model(model_path)
    labels = [[f"f: {int(p)}" for p in predict(model, [t]).argmax(1)] for t in (x, x_adv)]
    draw(
        x,
        x_adv,
        load_saliency(sal_clean)["test"][:n],
        load_saliency(sal_paths[i])["test"][:n],
        labels,
        out,
        plot_opts,
        title=f"{attack}, eps = {token}",
    )
