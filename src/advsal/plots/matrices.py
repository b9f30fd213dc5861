"""Annotated heatmaps of detector accuracy: Zhang Fig. 3 (eps fitted x eps tested, a panel per
attack) and Fig. 4 / Metzen Fig. 4 (attack fitted x attack tested, a panel per detector)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import seaborn as sns

from advsal.plots.base import ACCURACY, SCALE, eps_label, order, save, style, wrap
from advsal.tables import read_table

AGNOSTIC_FIT = "clean only\n(attack-agnostic)"
ROW_CELLS = 30  # heat-map columns per row of panels before the next panel wraps to a new row


def _heat(ax, mat, cmap, title, fmt_ticks=None):
    sns.heatmap(mat, annot=True, fmt=".2f", cmap=cmap, cbar=False, ax=ax, square=True, **SCALE)
    ax.set_title(title)
    if fmt_ticks:
        ax.set_xticklabels([fmt_ticks(t.get_text()) for t in ax.get_xticklabels()])
        ax.set_yticklabels([fmt_ticks(t.get_text()) for t in ax.get_yticklabels()], rotation=0)


def _colorbar(fig, axes, cmap):
    mappable = plt.cm.ScalarMappable(plt.Normalize(**SCALE), cmap=cmap)
    bar = fig.colorbar(mappable, ax=axes, shrink=0.8, pad=0.02)
    bar.set_label("detector accuracy (0.5 = chance)")


def eps_matrix_figure(csv, detector: str, out, opts: dict, value: str = "accuracy") -> None:
    """Zhang Fig. 3: one panel per attack with several budgets, eps_test rows x eps_fit columns
    (seaborn's FacetGrid places the panels; each draws its own heatmap)."""
    style(opts)
    frame = read_table(csv)
    frame = frame[frame["detector"] == detector]
    sizes = frame.groupby("attack", sort=False)["eps_fit"].nunique()
    attacks = [a for a, k in sizes.items() if k > 1]  # a single budget is no matrix
    if not attacks:
        raise ValueError(f"detector {detector!r}: no attack with several budgets to plot")

    def draw(data, **_):
        mat = data.pivot_table(index="eps_test", columns="eps_fit", values=value, aggfunc="mean")
        mat = mat.reindex(index=order(data["eps_test"]), columns=order(data["eps_fit"]))
        _heat(plt.gca(), mat, opts["cmap"], "", eps_label)

    grid = sns.FacetGrid(
        frame[frame["attack"].isin(attacks)],
        col="attack",
        col_order=attacks,
        col_wrap=wrap(len(attacks)),
        sharex=False,
        sharey=False,
        height=2.9,
    )
    grid.map_dataframe(draw)
    grid.set_titles("{col_name}")
    for ax in grid.axes.flat:  # each panel its own budgets (not shared), so each its labels
        ax.set(xlabel=r"$\epsilon$ fitted to", ylabel=r"$\epsilon$ tested on")
    _colorbar(grid.figure, list(grid.axes.flat), opts["cmap"])
    grid.figure.suptitle(f"{detector}: {ACCURACY}", y=1.03)
    save(grid.figure, out, opts)


def _flagged(names, met: dict) -> list[str]:
    return [f"{n} *" if not met.get(n, True) else n for n in names]


def _wrapped_panels(widths: list[int], heights: list[int]):
    """Panels of ``widths`` x ``heights`` cells in rows of at most ``ROW_CELLS`` columns (a
    panel wider than that gets a row of its own), every cell the same size: a row that is
    narrower than the widest is padded with empty space, not stretched. (A FacetGrid gives
    every panel one size, so a 3 x 3 and a 20 x 20 matrix would get different cells.)"""
    rows: list[list[int]] = [[]]
    for i, w in enumerate(widths):
        if rows[-1] and sum(widths[j] for j in rows[-1]) + w > ROW_CELLS:
            rows.append([])
        rows[-1].append(i)
    total = max(sum(widths[j] for j in row) for row in rows)
    per_row = max(len(row) for row in rows)
    row_heights = [0.6 * max(heights[j] for j in row) + 2.4 for row in rows]
    fig = plt.figure(
        figsize=(0.6 * total + 1.9 * per_row + 1.2, sum(row_heights)), layout="constrained"
    )
    subfigs = fig.subfigures(len(rows), 1, height_ratios=row_heights, squeeze=False)[:, 0]
    axes = [None] * len(widths)
    for sub, row in zip(subfigs, rows, strict=True):
        ratios = [widths[j] for j in row]
        pad = total - sum(ratios)
        row_axes = sub.subplots(
            1, len(row) + bool(pad), width_ratios=ratios + [pad] * bool(pad), squeeze=False
        )[0]
        if pad:
            row_axes[-1].set_axis_off()
        for j, ax in zip(row, row_axes, strict=False):
            axes[j] = ax
    return fig, axes


def _one_fit_if_agnostic(sub):
    """An attack-agnostic detector's cells repeat one fit under every attack: show it once."""
    if "agnostic" not in sub or not sub["agnostic"].any():
        return sub
    return sub[sub["attack_fit"] == sub["attack_fit"].iloc[0]].assign(attack_fit=AGNOSTIC_FIT)


def cross_attack_figure(csv, out, opts: dict, value: str = "accuracy") -> None:
    """Zhang Fig. 4 / Metzen Fig. 4: one panel per detector, attack_test x attack_fit, each
    attack at its chosen eps. An attack marked * never met the accuracy rule."""
    style(opts)
    frame = read_table(csv)
    dets = list(dict.fromkeys(frame["detector"]))
    subs = [_one_fit_if_agnostic(frame[frame["detector"] == d]) for d in dets]
    sizes = [sub["attack_fit"].nunique() for sub in subs]
    fig, axes = _wrapped_panels(sizes, [sub["attack_test"].nunique() for sub in subs])
    met = {
        **dict(zip(frame["attack_fit"], frame["rule_met_fit"], strict=True)),
        **dict(zip(frame["attack_test"], frame["rule_met_test"], strict=True)),
    }
    for ax, det, sub in zip(axes, dets, subs, strict=True):
        mat = sub.pivot_table(
            index="attack_test", columns="attack_fit", values=value, aggfunc="mean"
        )
        mat = mat.reindex(
            index=list(dict.fromkeys(sub["attack_test"])),
            columns=list(dict.fromkeys(sub["attack_fit"])),
        )
        mat.index, mat.columns = _flagged(mat.index, met), _flagged(mat.columns, met)
        _heat(ax, mat, opts["cmap"], det)
        ax.set_xlabel("detector fitted to")
        ax.set_ylabel("tested on")
        ax.tick_params(axis="x", labelrotation=60)
        ax.tick_params(axis="y", labelrotation=0)
    first_row = axes[0].figure  # the subfigure of the first row of panels
    _colorbar(first_row, [ax for ax in axes if ax.figure is first_row], opts["cmap"])
    title = f"Cross-attack: {ACCURACY}"
    if not all(met.values()):
        title += "\n* the eps grid never brought f's accuracy below the threshold"
    fig.suptitle(title)
    save(fig, out, opts)
