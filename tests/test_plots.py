"""Figure layout: many detector panels wrap into rows with cells of one size."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from advsal import plots  # noqa: E402


def test_wide_panel_sets_wrap_into_rows_of_equal_cells():
    widths, heights = [9, 9, 5, 6, 6, 6, 1], [9, 9, 5, 9, 9, 9, 9]
    fig, axes = plots._wrapped_panels(widths, heights)
    fig.canvas.draw()
    rows = {}
    for ax, w in zip(axes, widths, strict=True):
        rows.setdefault(id(ax.figure), []).append(w)
    assert len(rows) > 1 and all(sum(r) <= plots.ROW_CELLS for r in rows.values())
    cell = [
        ax.get_position().width * fig.get_figwidth() / w for ax, w in zip(axes, widths, strict=True)
    ]
    assert max(cell) == pytest.approx(min(cell), rel=0.25)  # no row stretched to fill
    assert fig.get_figwidth() < 0.6 * sum(widths) + 1.9 * len(widths)  # narrower than one row
