"""advsal.plots: the cross-attack panels wrap into rows with cells of one size, and every figure
function draws its figure from a table of the shape its rule gives it."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from advsal.plots import matrices  # noqa: E402


def test_wide_panel_sets_wrap_into_rows_of_equal_cells():
    widths, heights = [9, 9, 5, 6, 6, 6, 1], [9, 9, 5, 9, 9, 9, 9]
    fig, axes = matrices._wrapped_panels(widths, heights)
    fig.canvas.draw()
    rows = {}
    for ax, w in zip(axes, widths, strict=True):
        rows.setdefault(id(ax.figure), []).append(w)
    assert len(rows) > 1 and all(sum(r) <= matrices.ROW_CELLS for r in rows.values())
    cell = [
        ax.get_position().width * fig.get_figwidth() / w for ax, w in zip(axes, widths, strict=True)
    ]
    assert max(cell) == pytest.approx(min(cell), rel=0.25)  # no row stretched to fill
    assert fig.get_figwidth() < 0.6 * sum(widths) + 1.9 * len(widths)  # narrower than one row


def test_whitebox_bars_are_the_mean_and_sd_over_seeds(tmp_path):
    import numpy as np
    import pandas as pd

    from advsal.plots.bars import whitebox_figure

    paths = []
    for seed, (before, after) in enumerate([(0.2, 0.6), (0.4, 0.9)]):
        for version, acc in (("static", before), ("retrained", after)):
            path = tmp_path / f"{seed}_{version}.csv"
            row = {"attack": "wb", "detector": "spd", "version": version, "eps": "1.0"}
            row.update(seed=seed, accuracy_adv=acc, detector_flags_adv=0.5, detectability=0.7)
            pd.DataFrame([{**row, "detector_flags_clean": 0.1}]).to_csv(path, index=False)
            paths.append(path)
    opts = {"format": "png", "dpi": 40, "font_scale": 1.0}
    grid = whitebox_figure(paths, tmp_path / "wb.png", opts, false_alarms=0.2)
    assert (tmp_path / "wb.png").stat().st_size > 0
    from advsal.plots.base import text_overlaps

    assert not text_overlaps(grid.figure)  # panel titles, labels and the title apart
    titles = [ax.get_title() for ax in grid.axes.flat]
    assert titles == [
        "f's accuracy",
        "adversarials flagged",
        "clean images flagged",
        "detectability",
    ]
    ax = grid.axes.flat[0]  # f's accuracy: before, after
    assert [round(b.get_height(), 6) for b in ax.patches] == [0.3, 0.75]
    # one line per bar (caps and the upright bar joined by NaN): its extent is mean +- sd
    spans = sorted(
        round(float(np.nanmax(ln.get_ydata()) - np.nanmin(ln.get_ydata())), 6) for ln in ax.lines
    )
    sd = pd.Series([0.2, 0.4]).std(), pd.Series([0.6, 0.9]).std()
    assert spans == sorted(round(2 * s, 6) for s in sd)  # mean +- sd, one line per bar


# -- the figure check every save runs (advsal.plots.base.figure_problems) ----------------------
def test_the_figure_check_finds_overlaps_a_covering_legend_and_a_missing_y_label():
    import matplotlib.pyplot as plt

    from advsal.plots.base import figure_problems

    fig, (left, right) = plt.subplots(1, 2, figsize=(6, 3))
    left.set_ylabel("accuracy")
    left.text(0.5, 0.5, "0.15")
    left.text(0.5, 0.5, "0.15")  # the same spot: "0.150.15"
    fig.legend(handles=[plt.Line2D([], [], label="a long legend")], loc="center")  # over both
    problems = figure_problems(fig)
    assert any(p.startswith("texts overlap: '0.15' and '0.15'") for p in problems)
    assert any(p.startswith("legend") for p in problems)
    assert any(p.startswith("no y label") for p in problems)  # the right panel's ticks
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(4, 3))
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="x", ylabel="y")
    assert figure_problems(fig) == []  # ticks beyond the limits are not drawn, not counted
    plt.close(fig)


def test_a_strict_run_refuses_a_figure_with_colliding_text(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    from advsal.errors import AdvsalError
    from advsal.plots.base import STRICT_ENV, save

    opts = {"dpi": 50, "format": "png"}
    fig, ax = plt.subplots()
    ax.set_ylabel("y")
    ax.text(0.2, 0.2, "sigma 0.5")
    ax.text(0.2, 0.2, "sigma 0.7")
    save(fig, tmp_path / "lenient.png", opts)  # a warning in the log, the figure written
    assert (tmp_path / "lenient.png").exists()
    monkeypatch.setenv(STRICT_ENV, "1")
    fig, ax = plt.subplots()
    ax.set_ylabel("y")
    ax.text(0.2, 0.2, "sigma 0.5")
    ax.text(0.2, 0.2, "sigma 0.7")
    with pytest.raises(AdvsalError, match="strict.png: 1 layout problems: texts overlap"):
        save(fig, tmp_path / "strict.png", opts)
    assert not (tmp_path / "strict.png").exists()


def test_labels_of_clustered_points_never_overlap_and_the_first_ones_are_kept():
    import matplotlib.pyplot as plt

    from advsal.plots.base import place_labels, text_overlaps

    fig, ax = plt.subplots(figsize=(4, 3))
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="x", ylabel="y")
    points = [(0.5 + 0.002 * i, 0.5, f"σ {i / 10:g}") for i in range(11)]  # one pile
    left_out = place_labels(ax, points)
    assert text_overlaps(fig) == []
    shown = {t.get_text() for t in ax.texts}
    assert "σ 0" in shown and "σ 0.1" in shown  # most important first
    assert len(shown) + left_out == 11 and left_out > 0
    plt.close(fig)


def test_twenty_attacks_get_twenty_distinct_colour_and_marker_pairs():
    from advsal.plots.base import attack_styles

    names = [f"attack{i}" for i in range(20)]
    colours, markers = attack_styles(names)
    assert len({tuple(colours[n]) for n in names}) == 20
    assert len({(tuple(colours[n]), markers[n]) for n in names}) == 20
    assert len({markers[n] for n in names[:15]}) == 15
