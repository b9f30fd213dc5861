"""One figure per paper: its published cells against ours around y = x (a panel per table or
figure of the paper, each cell's band as a bar, the verdict as colour, like-for-like / proxy as
marker), and below them its claims, each at its margin in the claim's favour."""

from __future__ import annotations

import math
import textwrap

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.ticker import MaxNLocator

from advsal.plots.base import save, style

VERDICT_COLOURS = {
    "holds": "#2a9d55",
    "fails": "#d1495b",
    "calibrated": "#e9a23b",
    "not comparable": "#8d99ae",
    "not run": "#c9ccd3",
}
MARKERS = {"like-for-like": "o", "proxy": "s", "construction / extension / context": "^"}


def _comparison_kind(row) -> str:
    if row["verdict"] in ("holds", "fails", "calibrated"):
        return "like-for-like"
    return (
        "proxy" if str(row["reason"]).startswith("proxy") else "construction / extension / context"
    )


def _cells_panel(ax, data: pd.DataFrame, title: str) -> None:
    """y = x, each cell's band as a grey bar at its published value, the cells on top."""
    values = pd.concat([data["published"], data["reproduced"], data["lower"], data["upper"]])
    lo, hi = values.min(skipna=True), values.max(skipna=True)
    pad = 0.05 * (hi - lo or 1.0)
    lim = (lo - pad, hi + pad)
    ax.plot(lim, lim, ls="--", lw=0.8, color="0.3", zorder=0)
    bars = data.dropna(subset=["lower", "upper"])
    ax.vlines(
        bars["published"], bars["lower"], bars["upper"], color="0.75", lw=4, alpha=0.6, zorder=0
    )
    for (verdict, kind), grp in data.groupby(["verdict", "comparison"], observed=True):
        ax.scatter(
            grp["published"],
            grp["reproduced"],
            s=22,
            color=VERDICT_COLOURS[verdict],
            marker=MARKERS[kind],
            edgecolor="white",
            linewidth=0.4,
        )
    ax.set(xlim=lim, ylim=lim, xlabel="published value", ylabel="reproduced value")
    ax.set_aspect("equal", adjustable="box")
    ax.set_title(textwrap.shorten(title, 28, placeholder="…"))
    # few ticks, none at the lower-left corner where the two axes' labels would meet
    ax.xaxis.set_major_locator(MaxNLocator(4, prune="lower"))
    ax.yaxis.set_major_locator(MaxNLocator(4))


def _claims_panel(ax, claims: pd.DataFrame) -> None:
    """One line per claim: its margin in the claim's favour (> 0 holds); a claim decided
    without a number (a best depth, a category) sits at 0 as a diamond."""
    labels = [
        textwrap.shorten(f"{t}: {w}; {q}", 72, placeholder="…")
        for t, w, q in zip(claims["target"], claims["where"], claims["quantity"], strict=True)
    ]
    y = list(range(len(claims)))[::-1]
    margin = claims["margin"].astype(float)
    for verdict, colour in VERDICT_COLOURS.items():
        pick = (claims["verdict"] == verdict).to_numpy()
        if not pick.any():
            continue
        ys = [yy for yy, p in zip(y, pick, strict=True) if p]
        ms = margin[pick]
        ax.scatter(ms.fillna(0.0), ys, color=colour, s=24, marker="o", zorder=2)
        odd = ms.isna().to_numpy()
        if odd.any():
            ax.scatter(
                [0.0] * odd.sum(),
                [yy for yy, o in zip(ys, odd, strict=True) if o],
                color=colour,
                s=30,
                marker="D",
                zorder=3,
            )
    ax.axvline(0.0, color="0.3", lw=0.8, ls="--")
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.7, len(claims) - 0.3)
    ax.set_xlabel("margin in the claim's favour (> 0: holds; diamond: decided without a number)")
    ax.set_ylabel("claim")
    ax.set_title("claims")


def paper_figure(csv, paper: str, out, opts: dict) -> None:
    """One paper's published cells against ours (a panel per item target) and its claims."""
    style(opts)
    save(draw_paper(pd.read_csv(csv), paper), out, opts)


def draw_paper(frame: pd.DataFrame, paper: str):
    """The figure of :func:`paper_figure` from the comparison's rows."""
    mine = frame[frame["paper"] == paper]
    cells = mine[mine["row"] == "cell"].dropna(subset=["published", "reproduced"]).copy()
    claims = mine[(mine["row"] == "claim") & mine["verdict"].isin(["holds", "fails"])].copy()
    if cells.empty and claims.empty:
        fig, ax = plt.subplots(figsize=(5, 2))
        ax.text(0.5, 0.5, f"{paper}: nothing judged in this run", ha="center", va="center")
        ax.set_axis_off()
        return fig
    cells["comparison"] = cells.apply(_comparison_kind, axis=1)
    targets = list(dict.fromkeys(cells["target"]))
    cols = min(4, max(len(targets), 1))
    rows = math.ceil(len(targets) / cols) if targets else 0
    claim_h = 0.6 + 0.22 * len(claims) if len(claims) else 0.0
    # claims need room beside their labels (72 characters): at least 9 inches wide
    width = max(3.0 * cols + 2.2, 9.0 if len(claims) else 0.0)
    fig = plt.figure(figsize=(width, 3.0 * rows + claim_h + 0.5), layout="constrained")
    heights = [3.0 * rows, claim_h] if rows and len(claims) else [1.0]
    parts = fig.subfigures(len(heights), 1, height_ratios=heights) if len(heights) > 1 else [fig]
    if rows:
        axes = parts[0].subplots(rows, cols, squeeze=False).ravel()
        for ax, target in zip(axes, targets, strict=False):
            _cells_panel(ax, cells[cells["target"] == target], target)
        for ax in axes[len(targets) :]:
            ax.set_axis_off()
        handles = [
            plt.Line2D([], [], ls="", marker="o", color=c, label=v)
            for v, c in VERDICT_COLOURS.items()
            if v in set(cells["verdict"]) | set(claims["verdict"])
        ] + [
            plt.Line2D([], [], ls="", marker=m, color="0.4", label=k)
            for k, m in MARKERS.items()
            if k in set(cells["comparison"])
        ]
        parts[0].legend(handles=handles, loc="outside right center", title="verdict / basis")
    if len(claims):
        _claims_panel(parts[-1].subplots(), claims)
    pooled = cells[cells["pooled"].astype(bool)]
    if "scale" in pooled:  # rates apart from distances and ratios (advsal.paper.compare.scale)
        pooled = pooled[pooled["scale"].fillna("rate") == "rate"]
    summary = (
        f"{len(pooled)} counted rate cells, mean |reproduced - published| "
        f"{pooled['difference'].abs().mean():.3f}"
        if len(pooled)
        else "no counted rate cell"
    )
    title = f"{paper}: published vs reproduced ({summary}; grey bar: a cell's band)"
    fig.suptitle(textwrap.fill(title, int(11 * fig.get_figwidth())))  # within the figure
    sns.despine(fig)
    return fig
