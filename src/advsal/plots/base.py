"""What every figure shares: the theme, atomic saving, budget labels and orderings."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.legend import Legend

from advsal import io
from advsal.errors import AdvsalError

log = logging.getLogger(__name__)

ACCURACY = "detector accuracy on the balanced clean + adversarial test set"
SCALE = {"vmin": 0.5, "vmax": 1.0}  # chance .. perfect, the same on every heatmap
CHANCE = {"color": "grey", "lw": 0.6, "ls": ":"}  # the line at detector accuracy 0.5
VERSIONS = {"static": "tab:red", "retrained": "tab:blue"}  # detector before / after retraining


def style(opts: dict) -> None:
    sns.set_theme(context="paper", style="white", font_scale=opts["font_scale"])


# set (to anything) to make a figure with colliding text an error instead of a logged warning
# (tests/test_pipeline.py runs the tiny DAG so: every figure of it is checked)
STRICT_ENV = "ADVSAL_STRICT_FIGURES"


def save(fig, path, opts: dict) -> None:
    """Write ``fig`` atomically, after checking it (:func:`figure_problems`): each problem is a
    warning in the job's log, or with ``ADVSAL_STRICT_FIGURES`` set an error naming them."""
    problems = figure_problems(fig)
    for p in problems:
        log.warning("%s: %s", Path(path).name, p)
    if problems and os.environ.get(STRICT_ENV):
        plt.close(fig)
        raise AdvsalError(
            f"{Path(path).name}: {len(problems)} layout problems: " + "; ".join(problems)
        )
    with io.atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=opts["dpi"], bbox_inches="tight", format=opts["format"])
    plt.close(fig)


# twenty colours and markers, each pair distinct: an attack keeps its own in every figure
MARKER_CYCLE = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "p", "h", "*", "d", "H", "8")


def attack_styles(names) -> tuple[dict, dict]:
    """name -> colour and name -> marker for up to twenty names (tab20's dark shades first,
    then the light ones; a marker each, repeating after fifteen with another colour)."""
    names = list(dict.fromkeys(names))
    tab = sns.color_palette("tab20", 20)
    colours = tab[0::2] + tab[1::2]
    return (
        {n: colours[i % 20] for i, n in enumerate(names)},
        {n: MARKER_CYCLE[i % len(MARKER_CYCLE)] for i, n in enumerate(names)},
    )


# where a point's label may go, in points from the point: right, left, above, below, diagonals
OFFSETS = [(5, -3), (-5, -3), (0, 6), (0, -12), (5, 5), (-5, 5), (5, -11), (-5, -11)]


def place_labels(ax, points, fontsize: float = 6, color="0.3") -> int:
    """Label ``points`` ((x, y, text) or (x, y, text, colour), most important first) where
    each label's box meets no other text of the figure and stays inside the axes: the first
    free spot of :data:`OFFSETS`, at one and then two times the distance; a label with no free
    spot is left out. Call it last, once the layout is final. Returns how many were left out."""
    fig = ax.figure
    _drawn(fig)
    renderer = fig.canvas.get_renderer()
    taken = [t.get_window_extent(renderer) for t in texts(fig)]
    frame = ax.get_window_extent(renderer)
    left_out = 0
    for x, y, text, *own in points:
        for scale in (1, 2):
            for dx, dy in OFFSETS:
                ha = "left" if dx > 0 else "right" if dx < 0 else "center"
                ann = ax.annotate(
                    text,
                    (x, y),
                    xytext=(dx * scale, dy * scale),
                    textcoords="offset points",
                    fontsize=fontsize,
                    color=own[0] if own else color,
                    ha=ha,
                )
                box = ann.get_window_extent(renderer)
                inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0
                inside = inside and box.y1 <= frame.y1
                if inside and not any(_meets(box, b) for b in taken):
                    taken.append(box)
                    break
                ann.remove()
            else:
                continue
            break
        else:
            left_out += 1
    return left_out


def order(values: pd.Series) -> list:
    """eps tokens in numeric order; anything else in order of appearance."""
    uniq = list(dict.fromkeys(values))
    numeric = pd.to_numeric(pd.Series(uniq), errors="coerce")
    return [uniq[i] for i in numeric.argsort()] if numeric.notna().all() else uniq


def eps_label(token) -> str:
    """A budget for a tick label: at most 4 significant digits (the token itself is exact)."""
    try:
        return f"{float(token):.4g}"
    except ValueError:
        return str(token)


def with_budget(attacks, budgets) -> list[str]:
    """``attack (eps)`` labels; an eps-less attack is its name alone."""
    return [
        f"{a} ({eps_label(e)})" if e != "none" else a for a, e in zip(attacks, budgets, strict=True)
    ]


def wrap(n: int, most: int = 4) -> int | None:
    """A ``col_wrap`` for ``n`` panels (None: one row)."""
    return most if n > most else None


def _drawn(fig):
    """The figure drawn on an Agg canvas (a closed figure keeps only a bare one)."""
    if not hasattr(fig.canvas, "get_renderer"):
        FigureCanvasAgg(fig)
    fig.canvas.draw()
    return fig


def _undrawn_ticks(fig) -> set[int]:
    """The tick labels matplotlib keeps but does not draw: those of ticks outside the axis's
    view interval."""
    hidden = set()
    for ax in fig.findobj(Axes):
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            tol = 1e-9 * max(abs(lo), abs(hi), 1.0)
            for ticks in (axis.get_major_ticks(), axis.get_minor_ticks()):
                for tick in ticks:
                    if not lo - tol <= tick.get_loc() <= hi + tol:
                        hidden.update({id(tick.label1), id(tick.label2)})
    return hidden


def texts(fig) -> list:
    """Every text a drawn figure shows: titles, labels, drawn tick labels, legends, notes."""
    _drawn(fig)
    hidden = _undrawn_ticks(fig)
    found = []
    for t in fig.findobj(plt.Text):
        if t.get_visible() and t.get_text().strip() and t.figure is not None:
            ax = t.axes
            if (ax is not None and not ax.get_visible()) or id(t) in hidden:
                continue
            found.append(t)
    return found


def _meets(a, b, pad: float = 0.0) -> bool:
    return a.x0 + pad < b.x1 and b.x0 + pad < a.x1 and a.y0 + pad < b.y1 and b.y0 + pad < a.y1


def text_overlaps(fig, pad: float = 0.0) -> list[tuple[str, str]]:
    """Pairs of texts whose boxes overlap in the drawn figure (``pad`` pixels of slack)."""
    found = texts(fig)
    renderer = fig.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in found]
    return [
        (a, b) for i, (a, ba) in enumerate(boxes) for b, bb in boxes[i + 1 :] if _meets(ba, bb, pad)
    ]


def figure_problems(fig, pad: float = 0.5) -> list[str]:
    """What a reader would trip on: two texts that overlap, a legend over an axes it does not
    belong to, an axes with y tick labels but no y label."""
    out = [f"texts overlap: {a!r} and {b!r}" for a, b in text_overlaps(fig, pad)]
    renderer = fig.canvas.get_renderer()
    axes = [a for a in fig.findobj(Axes) if a.get_visible() and a.axison]
    for leg in fig.findobj(Legend):
        if not leg.get_visible():
            continue
        box = leg.get_window_extent(renderer)
        owner = leg.axes if isinstance(leg.parent, Axes) else None
        for ax in axes:
            if ax is not owner and _meets(box, ax.get_window_extent(renderer), 2.0):
                name = ax.get_title() or ax.get_ylabel() or "an axes"
                out.append(f"legend {leg.get_title().get_text()!r} covers {name!r}")
    hidden = _undrawn_ticks(fig)
    for ax in axes:
        shown = [
            t
            for t in ax.yaxis.get_ticklabels()
            if t.get_visible() and t.get_text().strip() and id(t) not in hidden
        ]
        if ax.yaxis.get_visible() and shown and not ax.get_ylabel().strip():
            out.append(f"no y label on {ax.get_title() or 'an axes'!r}")
    return out
