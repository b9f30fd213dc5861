"""Tables of the retraining attacks: Metzen's dynamic adversary (every sigma, and the adaptive
column per detector: Fig. 5) and the 2020 paper's white-box attack (Table 3, over seeds)."""

from __future__ import annotations

import pandas as pd

from advsal import io
from advsal.tables import read_table


def dynamic_tables(csvs, out_all, out_adaptive, threshold: float = 0.3) -> dict:
    """Every (attack, eps, detector, version, sigma) row, and the adaptive column: per detector
    and version, the sigma where it does worst, over every sigma and over the sigmas that bring
    f's accuracy below ``threshold`` (the paper's "near chance while f is below 30%")."""
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
    version (static = before, retrained = after adversarial training), the mean and std over
    seeds of f's accuracy and the detector's accuracy on the adversarials."""
    frame = pd.concat([read_table(p) for p in csvs], ignore_index=True)
    frame["detection_rate"] = frame["detector_flags_adv"]
    frame["false_alarms"] = frame["detector_flags_clean"]
    keys = ["attack", "eps", "detector", "version"]
    stats = frame.groupby(keys, sort=False)[list(WHITEBOX_COLUMNS)].agg(["mean", "std"])
    stats.columns = [f"{col}_{stat}" for col, stat in stats.columns]
    stats.insert(0, "n_seeds", frame.groupby(keys, sort=False)["seed"].nunique())
    stats.insert(1, "n", frame.groupby(keys, sort=False)["n"].first())  # test images per seed
    out = stats.reset_index()
    io.write_csv(out_csv, out)
    return out
