"""Bar figures drawn with seaborn's catplot: Metzen Fig. 2 right (attachment depth), the 2020
paper's Table 3 (white-box, mean and sd over seeds) and Fig. 2 (fit x test), and Nguyen's
Tables 1-4 (paired contrastive detection)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from advsal.plots.base import CHANCE, VERSIONS, eps_label, save, style, with_budget, wrap
from advsal.tables import read_table


def _chance(*_, **__):
    plt.gca().axhline(0.5, **CHANCE)


def depth_sweep_figure(csv, out, opts: dict) -> sns.FacetGrid:
    """Metzen Fig. 2 (right): detectability per attack for the detector at AD(0)..AD(k)."""
    style(opts)
    frame = read_table(csv)
    frame["attached at"] = [
        f"AD({a})\n{layer}" for a, layer in zip(frame["ad"], frame["layer"], strict=True)
    ]
    frame["attack (eps)"] = with_budget(frame["attack"], frame["eps"])
    n_att = frame["attack"].nunique()
    grid = sns.catplot(
        frame,
        kind="bar",
        x="attack (eps)",
        y="accuracy",
        hue="attached at",
        palette="crest",
        height=3.6,
        aspect=max(1.0, 0.35 + 0.35 * n_att),
    )
    grid.map(_chance)
    grid.set(ylim=(0.4, 1.02))
    grid.set_axis_labels("attack at its chosen eps", "detectability (test accuracy)")
    det = frame["detector"].iloc[0] if len(frame) else ""
    grid.figure.suptitle(f"Detector {det!r} by attachment depth", y=1.03)
    save(grid.figure, out, opts)
    return grid


WHITEBOX_MEASURES = {  # column -> panel title (one line each)
    "accuracy_adv": "f's accuracy",
    "detector_flags_adv": "adversarials flagged",
    "detector_flags_clean": "clean images flagged",
    "detectability": "detectability",
}


def whitebox_figure(csvs, out, opts: dict, false_alarms: float) -> sns.FacetGrid:
    """model_based_saliency2020 Table 3 as bars: per white-box attack (a row of panels) and
    measure (a column), each detector before (static) and after adversarial training; bars
    are the mean over seeds, lines their standard deviation (from the per-seed rows). The
    detection rate stands beside the false alarms (dotted: the comparison's bound) and the
    detectability, so a detector that flags every image shows as one. ``false_alarms``: the
    paper comparison's bound (workflow/paper_reference.yaml, ``detection``)."""
    style(opts)
    frame = pd.concat([read_table(p) for p in csvs], ignore_index=True)
    frame["attack"] = [
        f"{a}, eps {eps_label(e)}" if e != "none" else a
        for a, e in zip(frame["attack"], frame["eps"], strict=True)
    ]
    frame["adversarial training"] = frame["version"].map({"static": "before", "retrained": "after"})
    long = frame.melt(
        ["attack", "detector", "adversarial training", "seed"],
        list(WHITEBOX_MEASURES),
        var_name="measure",
    )
    long["measure"] = long["measure"].map(WHITEBOX_MEASURES)
    grid = sns.catplot(
        long,
        kind="bar",
        x="detector",
        y="value",
        hue="adversarial training",
        hue_order=["before", "after"],
        palette=dict(zip(["before", "after"], VERSIONS.values(), strict=True)),
        errorbar="sd",
        capsize=0.15,
        col="measure",
        col_order=list(WHITEBOX_MEASURES.values()),
        row="attack",
        height=2.6,
        aspect=0.9,
        sharey=True,
    )
    grid.set(ylim=(0.0, 1.05))
    grid.set_titles("{col_name}")
    for (attack, measure), ax in grid.axes_dict.items():
        if measure == WHITEBOX_MEASURES["detector_flags_clean"]:
            ax.axhline(false_alarms, **CHANCE)
        if measure == WHITEBOX_MEASURES["detectability"]:
            ax.axhline(0.5, **CHANCE)
        if measure == WHITEBOX_MEASURES["accuracy_adv"]:
            ax.set_ylabel(f"{attack}\nrate (mean over seeds)")
    grid.set_xlabels("detector")
    n = frame["seed"].nunique()
    grid.figure.suptitle(
        f"White-box attack, before and after adversarial training ({n} seeds; lines: sd; "
        f"dotted: false-alarm bound {false_alarms:g}, chance 0.5)",
        y=1.04,
    )
    save(grid.figure, out, opts)
    return grid


PAIRED_MEASURES = [  # (subset, column, label)
    ("all", "mask_keeps_class", "mask keeps its class"),
    ("all", "tp", "TP (adversarial flagged)"),
    ("all", "tn", "TN (clean passed)"),
    ("filtered", "tp", "TP, filtered"),
    ("filtered", "tn", "TN, filtered"),
]


def paired_figure(csv, out, opts: dict) -> sns.FacetGrid:
    """Nguyen 2018 Tables 1-4 as bars: per setting (direct, transferred; a panel each) and
    attack, the share of adversarial masks that keep their class, TP and TN on all pairs, and
    TP / TN on the filtered pairs (clean mask classified correctly); n pairs under each group."""
    style(opts)
    frame = read_table(csv)
    n = frame.pivot_table(index=["setting", "attack"], columns="subset", values="n_pairs")
    rows = []
    for subset, col, label in PAIRED_MEASURES:
        for _, r in frame[frame["subset"] == subset].iterrows():
            pairs = n.loc[(r["setting"], r["attack"])]
            x = f"{r['attack']}\n{int(pairs['all'])} / {int(pairs['filtered'])} pairs"
            crafted = f"{r['setting']} (crafted on {r['crafted_on']})"
            rows.append({"setting": crafted, "attack": x, "measure": label, "share": r[col]})
    grid = sns.catplot(
        pd.DataFrame(rows),
        kind="bar",
        x="attack",
        y="share",
        hue="measure",
        hue_order=[m[2] for m in PAIRED_MEASURES],
        palette=["tab:gray", "tab:red", "tab:blue", "salmon", "lightskyblue"],
        col="setting",
        col_wrap=wrap(frame["setting"].nunique(), 2),
        sharex=False,
        height=3.4,
        aspect=1.4,
    )
    grid.set(ylim=(0.0, 1.05))
    grid.set_titles("{col_name}")
    grid.set_axis_labels("", "share of pairs")
    row = frame.iloc[0]
    grid.figure.suptitle(
        f"Contrastive detection, paired (f1 {row['f1_clean']:.2f}, f2 on clean masks "
        f"{row['f2_clean']:.2f} on test)",
        y=1.03,
    )
    save(grid.figure, out, opts)
    return grid


def fit_test_figure(csv, out, opts: dict, titles: dict | None = None) -> sns.FacetGrid:
    """model_based_saliency2020 Fig. 2: one panel per training attack, bars per detector over
    the test attacks (each attack at the budget the detectors are fitted to)."""
    style(opts)
    frame = read_table(csv)
    titles = titles or {}
    frame["detector "] = [titles.get(d, d) for d in frame["detector"]]
    for side in ("fit", "test"):
        frame[side] = with_budget(frame[f"attack_{side}"], frame[f"eps_{side}"])
    fits = list(dict.fromkeys(frame["fit"]))
    tests = list(dict.fromkeys(frame["test"]))
    grid = sns.catplot(
        frame,
        kind="bar",
        x="test",
        y="accuracy",
        hue="detector ",
        order=tests,
        col="fit",
        col_order=fits,
        col_wrap=wrap(len(fits), 3),
        height=3.0,
        aspect=max(1.0, (0.5 + 0.55 * len(tests)) / 3.0),
    )
    grid.map(_chance)
    grid.set(ylim=(0.0, 1.02))
    grid.set_titles("trained on {col_name}", size=9)
    grid.set_axis_labels("test attack", "detector accuracy")
    grid.tick_params(axis="x", rotation=45, labelsize=7)
    grid.figure.suptitle(
        "Detector accuracy, fitted to one attack (panel) and tested on each (bars)", y=1.03
    )
    save(grid.figure, out, opts)
    return grid
