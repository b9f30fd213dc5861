"""Stage 4: saliency maps of a named saliency instance, for the clean splits and for every
(attack, eps). A trained method is fitted first (``train_saliency``) and saved. Then how far
the maps move under attack (model_based_saliency2020 Table 1)."""

from __future__ import annotations

import torch

from advsal import io
from advsal.data.base import SPLITS
from advsal.runtime import progress, setup
from advsal.saliency import SALIENCY
from advsal.stages.common import (
    Job,
    build_saliency,
    load_adv,
    load_classifier,
    load_splits,
    split_xy,
)


def train_saliency(
    name, settings, data, model, out, *, out_history=None, seed, device, threads=None
) -> list[dict]:
    """Fit a trained saliency method on the training split (its first ``training.limit``
    images where set) with f frozen; the method selects on val. Writes the state and the
    per-epoch history."""
    dev = setup(seed, device, threads, "train_saliency", name)
    method = SALIENCY.get(settings["method"])(load_classifier(model, dev), **settings["params"])
    training = dict(settings["training"])
    splits = load_splits(data)
    x, y = split_xy(splits, "train", training.pop("limit", None))
    x_val, y_val = split_xy(splits, "val")
    history = method.fit(x, y, x_val, y_val, device=dev, seed=seed, **training)
    io.save_tensors(out, {"method": settings["method"], "state": method.state()})
    if out_history is not None:
        import pandas as pd

        io.write_csv(out_history, pd.DataFrame(history))
    progress.info("saliency %s trained: %s", name, history[-1] if history else {})
    return history


def make_saliency(job: Job, out, *, adv=None, train_limit=None) -> None:
    """Maps of every split: the clean images, or the adversarials in ``adv[split]``. ``job``:
    the saliency instance, reading ``data``, ``classifier`` and, for a trained method, its
    ``saliency_state``."""
    settings, files = job.settings, job.files
    dev = setup(job.seed, job.device, job.threads, "saliency", job.name)
    clf = load_classifier(files["classifier"], dev)
    method = build_saliency(settings, clf, files.get("saliency_state"), dev)
    splits = load_splits(files["data"])
    maps = {}
    for split in SPLITS:
        x = load_adv(adv[split]) if adv else split_xy(splits, split, train_limit)[0]
        maps[split] = method.run(x, batch_size=settings["batch_size"], device=dev)
    io.save_tensors(out, {"method": settings["method"], **maps})


def different_partner(n: int, seed: int) -> torch.Tensor:
    """For each of n images another one (a random derangement), the "different images" pairs."""
    if n < 2:
        raise ValueError("comparing maps of different images needs at least 2 images")
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    partner = torch.empty(n, dtype=torch.long)
    partner[perm] = perm.roll(-1)
    return partner


def rms_distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-image L2 distance between maps over sqrt(number of entries): maps in [0, 1] give
    distances in [0, 1] whatever the image size."""
    d = (a - b).flatten(1)
    return d.norm(dim=1) / d.shape[1] ** 0.5


def _distances(dist) -> dict:
    """A sample of map distances: its size, mean, standard deviation and median."""
    import pandas as pd

    return {
        "n": len(dist),
        "mean": float(dist.mean()),
        "std": float(dist.std()),
        "median": float(pd.Series(dist).median()),
    }


def saliency_shift(job: Job, tests, out_csv, out_pairs):
    """model_based_saliency2020 Table 1 for one saliency instance: the L2 distance between the
    maps of a clean test image and of its adversarial (those that change f's prediction), per
    (attack, eps), against the distance between the maps of two different clean images; a
    two-sided Mann-Whitney U test says whether the two samples differ. Its Table 5 in
    ``out_pairs``: :func:`saliency_pairs`.

    ``job``: the saliency instance, reading ``data``, ``classifier`` and its clean maps
    ``sal_clean``; ``tests`` maps (attack, eps) -> (adversarial test file, maps file)."""
    import pandas as pd
    from scipy.stats import mannwhitneyu

    from advsal.training import predict

    name, settings, seed, files = job.name, job.settings, job.seed, job.files
    dev = setup(seed, job.device, job.threads, "saliency_shift", name)
    clf = load_classifier(files["classifier"], dev)
    x = split_xy(load_splits(files["data"]), "test")[0]
    s_clean = io.load_tensors(files["sal_clean"], expect=SPLITS)["test"]
    clean_pred = predict(clf, [x], device=dev).argmax(1)
    different = rms_distance(s_clean, s_clean[different_partner(len(x), seed)]).numpy()
    adv_maps = {}
    rows = [{"attack": "different images", "eps": "", **_distances(different)}]
    for (attack, eps), (adv, maps) in tests.items():
        x_adv = load_adv(adv)
        changed = predict(clf, [x_adv], device=dev).argmax(1) != clean_pred
        s_adv = io.load_tensors(maps, expect=("test",))["test"]
        adv_maps[(attack, eps)] = (s_adv, changed)
        dist = rms_distance(s_clean[changed], s_adv[changed]).numpy()
        row = {"attack": attack, "eps": eps, "n": int(changed.sum())}
        if len(dist):
            test = mannwhitneyu(dist, different, alternative="two-sided")
            row.update(
                **_distances(dist),  # its n: the changed images, as above
                u_statistic=float(test.statistic),
                p_value=float(test.pvalue),
            )
        rows.append(row)
        progress.info(
            "saliency %s, %s eps=%s: shift %.4f vs different images %.4f (n=%d)",
            name,
            attack,
            eps,
            row.get("mean", float("nan")),
            rows[0]["mean"],
            row["n"],
        )
    frame = pd.DataFrame(rows)
    frame.insert(0, "method", settings["method"])
    frame.insert(0, "saliency", name)
    frame["ratio_to_different"] = frame["mean"] / rows[0]["mean"]
    io.write_csv(out_csv, frame)
    pairs = saliency_pairs(adv_maps, rows[0]["mean"])
    pairs.insert(0, "method", settings["method"])
    pairs.insert(0, "saliency", name)
    io.write_csv(out_pairs, pairs)
    return frame


PAIR_COLUMNS = ["attack_a", "eps_a", "attack_b", "eps_b", "n", "mean", "std", "ratio_to_different"]


def saliency_pairs(adv_maps: dict, different: float):
    """model_based_saliency2020 Table 5: the distance between the maps of one test image
    attacked two ways, over the images both attacks move off f's prediction; each pair in both
    orders (the distance is symmetric), and over the different-images mean ``different``.

    ``adv_maps``: (attack, eps) -> (maps of its adversarials, which images it moved)."""
    import pandas as pd

    rows = []
    keys = list(adv_maps)
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            (s_a, moved_a), (s_b, moved_b) = adv_maps[a], adv_maps[b]
            both = moved_a & moved_b
            dist = rms_distance(s_a[both], s_b[both])
            stats = {
                "n": int(both.sum()),
                "mean": float(dist.mean()) if len(dist) else float("nan"),
                "std": float(dist.std(unbiased=False)) if len(dist) else float("nan"),
            }
            for x, y in ((a, b), (b, a)):
                rows.append(
                    {"attack_a": x[0], "eps_a": x[1], "attack_b": y[0], "eps_b": y[1], **stats}
                )
    frame = pd.DataFrame(rows, columns=PAIR_COLUMNS[:-1])
    frame["ratio_to_different"] = frame["mean"] / different
    return frame
