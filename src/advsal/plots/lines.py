"""Line figures drawn with seaborn's relplot: Metzen Fig. 2 left (detectability vs f's accuracy
over eps), Metzen Fig. 5 (the dynamic adversary over sigma) and training curves."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from advsal.plots.base import (
    CHANCE,
    VERSIONS,
    attack_styles,
    eps_label,
    place_labels,
    save,
    style,
    wrap,
)
from advsal.tables import read_table


def _chance(**_):
    plt.gca().axhline(0.5, **CHANCE)


def _label_lines(
    grid, frame: pd.DataFrame, panel: str, label, colours: dict, every: bool = False
) -> int:
    """Label each line's first and last point (every point with ``every``, the ends first) in
    the line's colour, where a label fits without touching another text
    (:func:`place_labels`); once the layout is final. Returns how many labels did not fit."""
    left_out = 0
    for name, ax in grid.axes_dict.items():
        points = []
        for key, grp in frame[frame[panel] == name].groupby("_line", sort=False):
            ends = grp.iloc[[0, -1]] if len(grp) > 1 else grp
            rest = grp.iloc[1:-1] if every else grp.iloc[0:0]
            points += [
                (r["_x"], r["_y"], label(r), colours[key])
                for _, r in pd.concat([ends, rest]).iterrows()
            ]
        left_out += place_labels(ax, points)
    return left_out


def detectability_figure(csv, out, opts: dict) -> sns.FacetGrid:
    """Metzen Fig. 2 (left): detectability vs f's accuracy, one line per attack over its eps,
    a panel per detector; the smallest and largest budget of each line labelled."""
    style(opts)
    frame = read_table(csv)
    dets = list(dict.fromkeys(frame["detector"]))
    frame["_order"] = pd.to_numeric(frame["eps"], errors="coerce")
    frame = frame.sort_values(["detector", "attack", "_order"], kind="stable")
    frame = frame.assign(_x=frame["accuracy_adv"], _y=frame["accuracy"], _line=frame["attack"])
    colours, markers = attack_styles(frame["attack"])
    grid = sns.relplot(
        frame,
        kind="line",
        x="accuracy_adv",
        y="accuracy",
        hue="attack",
        style="attack",
        palette=colours,
        markers=markers,
        markersize=7,
        dashes=False,
        sort=False,
        col="detector",
        col_order=dets,
        col_wrap=wrap(len(dets), 2),
        height=3.6,
    )
    grid.map(_chance)
    grid.set(xlim=(-0.02, 1.02), ylim=(0.45, 1.02))
    grid.set_titles("{col_name}")
    grid.set_axis_labels(
        "f's accuracy on the adversarial test images", "detectability (detector accuracy)"
    )
    grid.figure.suptitle(
        "Detectability vs classifier accuracy, one point per (attack, eps); "
        "eps labelled at a line's ends where it fits",
        y=1.03,
    )
    _label_lines(grid, frame, "detector", lambda r: eps_label(r["eps"]), colours)
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
    grid.map(_chance)
    grid.set(xlim=(-0.02, 1.02), ylim=(0.0, 1.02))
    grid.set_titles("{col_name}", size=9)
    grid.set_axis_labels(
        "f's accuracy on the adversarial test images", "detectability (kept adversarials)"
    )
    grid.figure.suptitle(
        "Dynamic adversary: one point per sigma (labelled where it fits, the ends first); "
        "dotted: chance",
        y=1.03,
    )
    _label_lines(grid, frame, "panel", lambda r: f"σ {r['sigma']:g}", VERSIONS, every=True)
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
