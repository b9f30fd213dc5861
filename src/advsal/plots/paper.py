"""One figure per paper: its published cells against ours around y = x (seaborn's relplot), each
cell's tolerance as a bar, the verdict as colour and like-for-like / proxy as marker."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from advsal.plots.base import save, style

VERDICT_COLOURS = {"holds": "#2a9d55", "fails": "#d1495b", "not comparable": "#8d99ae"}


def _comparison_kind(row) -> str:
    if row["verdict"] in ("holds", "fails"):
        return "like-for-like"
    return (
        "proxy" if str(row["reason"]).startswith("proxy") else "construction / extension / context"
    )


def _tolerance_bars(data, color=None, **kwargs) -> None:
    """Per facet: y = x and, at each published value, the interval its tolerance allows."""
    ax = plt.gca()
    lo = min(data["published"].min(), data["reproduced"].min(), data["lower"].min(skipna=True))
    hi = max(data["published"].max(), data["reproduced"].max(), data["upper"].max(skipna=True))
    pad = 0.05 * (hi - lo or 1.0)
    lim = (lo - pad, hi + pad)
    ax.plot(lim, lim, ls="--", lw=0.8, color="0.3", zorder=0)
    bars = data.dropna(subset=["lower", "upper"])
    ax.vlines(
        bars["published"], bars["lower"], bars["upper"], color="0.75", lw=4, alpha=0.6, zorder=0
    )
    ax.set_xlim(lim)
    ax.set_ylim(lim)
    ax.set_aspect("equal", adjustable="box")


def paper_figure(csv, paper: str, out, opts: dict) -> None:
    """One paper's published cells against ours: a panel per table or figure of the paper, y = x
    dashed, each cell's tolerance as a grey bar at its published value; colour the verdict,
    marker like-for-like / proxy / other."""
    style(opts)
    frame = pd.read_csv(csv)
    cells = frame[(frame["paper"] == paper) & (frame["row"] == "cell")]
    cells = cells.dropna(subset=["published", "reproduced"]).copy()
    if cells.empty:
        fig, ax = plt.subplots(figsize=(5, 2))
        ax.text(
            0.5,
            0.5,
            f"{paper}: no published cell has a reproduced value in this run",
            ha="center",
            va="center",
        )
        ax.set_axis_off()
        save(fig, out, opts)
        return
    cells["comparison"] = cells.apply(_comparison_kind, axis=1)
    cells["verdict"] = pd.Categorical(cells["verdict"], list(VERDICT_COLOURS))
    pooled = cells[cells["pooled"].astype(bool)]
    mean = pooled["difference"].abs().mean()
    grid = sns.relplot(
        cells,
        x="published",
        y="reproduced",
        col="target",
        col_wrap=min(4, cells["target"].nunique()),
        hue="verdict",
        palette=VERDICT_COLOURS,
        hue_order=list(VERDICT_COLOURS),
        style="comparison",
        style_order=["like-for-like", "proxy", "construction / extension / context"],
        s=40,
        height=3.0,
        facet_kws={"sharex": False, "sharey": False},
    )
    grid.map_dataframe(_tolerance_bars)
    grid.set_titles("{col_name}")
    summary = (
        f"{len(pooled)} like-for-like cells, mean |reproduced - published| {mean:.3f}"
        if len(pooled)
        else "no like-for-like cell: all are proxies or context"
    )
    grid.figure.suptitle(
        f"{paper}: published vs reproduced; {summary}\n"
        "dashed: y = x; grey bar: the interval a cell's tolerance allows",
        y=1.05,
    )
    save(grid.figure, out, opts)
