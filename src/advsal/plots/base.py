"""What every figure shares: the theme, atomic saving, budget labels and orderings."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.backends.backend_agg import FigureCanvasAgg

from advsal import io

ACCURACY = "detector accuracy on the balanced clean + adversarial test set"
SCALE = {"vmin": 0.5, "vmax": 1.0}  # chance .. perfect, the same on every heatmap
CHANCE = {"color": "grey", "lw": 0.6, "ls": ":"}  # the line at detector accuracy 0.5
VERSIONS = {"static": "tab:red", "dynamic": "tab:blue"}  # detector before / after retraining


def style(opts: dict) -> None:
    sns.set_theme(context="paper", style="white", font_scale=opts["font_scale"])


def save(fig, path, opts: dict) -> None:
    with io.atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=opts["dpi"], bbox_inches="tight", format=opts["format"])
    plt.close(fig)


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


def texts(fig) -> list:
    """Every visible, non-empty text of a drawn figure (titles, labels, tick labels, legends)."""
    _drawn(fig)
    found = []
    for t in fig.findobj(plt.Text):
        if t.get_visible() and t.get_text().strip() and t.figure is not None:
            ax = t.axes
            if ax is not None and not ax.get_visible():
                continue
            found.append(t)
    return found


def text_overlaps(fig, pad: float = 0.0) -> list[tuple[str, str]]:
    """Pairs of texts whose boxes overlap in the drawn figure (``pad`` pixels of slack)."""
    found = texts(fig)
    renderer = fig.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in found]
    out = []
    for i, (a, ba) in enumerate(boxes):
        for b, bb in boxes[i + 1 :]:
            if (
                ba.x0 + pad < bb.x1
                and bb.x0 + pad < ba.x1
                and ba.y0 + pad < bb.y1
                and bb.y0 + pad < ba.y1
            ):
                out.append((a, b))
    return out
