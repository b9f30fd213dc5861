"""Line figures drawn with seaborn's relplot: Metzen Fig. 2 left (detectability vs f's accuracy
over eps), Metzen Fig. 5 (the dynamic adversary over sigma) and training curves."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from advsal.plots.base import CHANCE, VERSIONS, eps_label, save, style, wrap
from advsal.tables import read_table


def _label_points(data, label, color=None, every=False, **_):
    """Label the first and last point of each line (every point with ``every``)."""
    ax = plt.gca()
    for _key, grp in data.groupby("_line", sort=False):
        picked = grp if every or len(grp) < 2 else grp.iloc[[0, -1]]
        for _, r in picked.iterrows():
            ax.annotate(
                label(r),
                (r["_x"], r["_y"]),
                fontsize=6,
                color=color,
                xytext=(4, -8),
                textcoords="offset points",
            )
    ax.axhline(0.5, **CHANCE)


def detectability_figure(csv, out, opts: dict) -> sns.FacetGrid:
    """Metzen Fig. 2 (left): detectability vs f's accuracy, one line per attack over its eps,
    a panel per detector; the smallest and largest budget of each line labelled."""
    style(opts)
    frame = read_table(csv)
    dets = list(dict.fromkeys(frame["detector"]))
    frame["_order"] = pd.to_numeric(frame["eps"], errors="coerce")
    frame = frame.sort_values(["detector", "attack", "_order"], kind="stable")
    frame = frame.assign(_x=frame["accuracy_adv"], _y=frame["accuracy"], _line=frame["attack"])
    grid = sns.relplot(
        frame,
        kind="line",
        x="accuracy_adv",
        y="accuracy",
        hue="attack",
        style="attack",
        markers=True,
        markersize=7,
        dashes=False,
        sort=False,
        col="detector",
        col_order=dets,
        col_wrap=wrap(len(dets), 2),
        height=3.6,
        palette="tab10",
    )
    grid.map_dataframe(_label_points, label=lambda r: eps_label(r["eps"]), color="0.3")
    grid.set(xlim=(-0.02, 1.02), ylim=(0.45, 1.02))
    grid.set_titles("{col_name}")
    grid.set_axis_labels(
        "f's accuracy on the adversarial test images", "detectability (detector accuracy)"
    )
    grid.legend.set_title("attack (eps labelled at both ends)")
    grid.figure.suptitle(
        "Detectability vs classifier accuracy, one point per (attack, eps)", y=1.03
    )
    save(grid.figure, out, opts)
    return grid


def dynamic_figure(csv, out, opts: dict) -> sns.FacetGrid:
    """Metzen Fig. 5: detectability vs f's accuracy of the dynamic adversary over sigma (each
    point labelled), the static vs the retrained detector, a panel per (attack, eps, detector)."""
    style(opts)
    frame = read_table(csv).sort_values("sigma", kind="stable")
    frame["panel"] = [
        f"{d} vs {a} (eps {eps_label(e)})"
        for a, e, d in zip(frame["attack"], frame["eps"], frame["detector"], strict=True)
    ]
    frame["detector version"] = frame["version"]
    frame = frame.assign(
        _x=frame["accuracy_adv"], _y=frame["detectability"], _line=frame["version"]
    )
    panels = list(dict.fromkeys(frame["panel"]))
    grid = sns.relplot(
        frame,
        kind="line",
        x="accuracy_adv",
        y="detectability",
        hue="detector version",
        palette=VERSIONS,
        hue_order=[v for v in VERSIONS if v in set(frame["version"])],
        marker="o",
        sort=False,
        errorbar=None,
        col="panel",
        col_order=panels,
        col_wrap=wrap(len(panels), 3),
        height=3.4,
    )
    grid.map_dataframe(_label_points, label=lambda r: f"{r['sigma']:g}", every=True, color="0.3")
    grid.set(xlim=(-0.02, 1.02), ylim=(0.0, 1.02))
    grid.set_titles("{col_name}", size=9)
    grid.set_axis_labels(
        "f's accuracy on the adversarial test images", "detectability (kept adversarials)"
    )
    grid.figure.suptitle(
        "Dynamic adversary: one point per sigma (labelled); dotted: chance", y=1.03
    )
    save(grid.figure, out, opts)
    return grid


def training_curve_figure(history_csv, out, opts: dict, title: str = "f") -> sns.FacetGrid:
    style(opts)
    h = pd.read_csv(history_csv).melt("epoch", ["train_acc", "val_acc"], "split", "accuracy")
    grid = sns.relplot(
        h, kind="line", x="epoch", y="accuracy", hue="split", marker="o", height=3, aspect=1.3
    )
    grid.figure.suptitle(title, y=1.03)
    save(grid.figure, out, opts)
    return grid
