"""No broken detector earns a "holds": a real run's tables with every detector replaced by one
that always says clean, always says adversarial or flips a coin, judged against every reference
of the four papers as if the run's setting were the paper's, give no holding row about a
detector, and no note that says one would hold (advsal.paper.detection)."""

from __future__ import annotations

import json

import pytest

from advsal.paper import load_reference
from advsal.paper.compare import compare, read_tables, run_tables
from advsal.paper.detection import about_detector, degenerate_reasons, degenerate_tables
from advsal.paper.kinds import HOLDS, Tables
from advsal.paper.reference import Context
from tests.helpers import ROOT

REF = load_reference()
# the default run's tables (`make run`; refreshed with tests/data/default_run/README.md's command)
RUN = ROOT / "tests" / "data" / "default_run"
SETTING = json.loads((RUN / "setting.json").read_text())


def judged_rows(frames: dict, monkeypatch) -> list[tuple[dict, dict]]:
    """Every row of every reference, the run's setting taken as the paper's (like-for-like)."""
    monkeypatch.setattr(Context, "mismatches", lambda self, published, item, keys: [])
    ctx = Context(SETTING, REF)
    tables = Tables(frames, ctx.attack_types, ctx.features)
    out = []
    for entry in REF["references"].values():
        for r in compare(entry, tables, ctx):
            out.append((entry["items"][r["group"]], r))
    return out


@pytest.fixture(scope="module")
def real_frames():
    return read_tables(run_tables(RUN))


def test_the_real_run_holds_detector_rows_so_the_test_can_fail(real_frames, monkeypatch):
    rows = judged_rows(real_frames, monkeypatch)
    holding = [
        r for item, r in rows if about_detector(item, r["quantity"]) and r["verdict"] == HOLDS
    ]
    assert len(holding) >= 30  # the default's detectors hold most of Zhang's Table 1 and Fig. 3
    assert not degenerate_reasons(real_frames, REF["detection"]["youden"])


@pytest.mark.parametrize("kind", ["clean", "adversarial", "coin"])
def test_no_row_about_a_degenerate_detector_holds(kind, real_frames, monkeypatch):
    frames = degenerate_tables(real_frames, kind, seed=0)
    bad = degenerate_reasons(frames, REF["detection"]["youden"])
    assert set(bad) == set(real_frames["detectability"]["detector"])  # every detector of the run
    rows = judged_rows(frames, monkeypatch)
    about = [(item, r) for item, r in rows if about_detector(item, r["quantity"])]
    assert len(about) > 250
    holding = [
        f"{item['target']} {r['where']} {r['quantity']}"
        for item, r in about
        if r["verdict"] == HOLDS
    ]
    assert not holding, holding
    would = [r["reason"] for _, r in about if "here it would hold" in r["reason"]]
    assert not would, would
    # the classifier's rows are untouched: a broken detector does not break f
    f_rows = [r for item, r in rows if not about_detector(item, r["quantity"])]
    assert any(r["verdict"] == HOLDS for r in f_rows)
