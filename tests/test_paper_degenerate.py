"""No broken detector earns a "holds": a real run's tables with every detector replaced by one
that always says clean, always says adversarial or flips a coin, judged against every reference
of the four papers as if the run's setting were the paper's, give no holding row about a
detector, and no note that says one would hold (advsal.paper.detection)."""

from __future__ import annotations

import json

import numpy as np
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


# -- degenerate in part: one fit, the transfers, the classifier, the white-box table -------------
COUNTED = ("like-for-like", "across settings")


def counted_holds(rows):
    """The rows that enter the holds count (an uninformative or unstable row does not)."""
    return [(item, r) for item, r in rows if r["verdict"] == HOLDS and r["basis"] in COUNTED]


def _fit_attack(frame):
    """The attack each row's detector was fitted to (None: the table names none)."""
    for col in ("attack_fit", "attack"):
        if col in frame:
            return frame[col].astype(str)
    return None


GOOD = {a for a, s in SETTING["attacks"].items() if s["type"] == "fgsm"}  # fgsm, fgsm2020, ...


def _not_good(name, frame):
    fit = _fit_attack(frame)
    return ~fit.isin(GOOD).to_numpy() if fit is not None else np.ones(len(frame), bool)


def test_a_detector_good_on_one_attack_and_a_coin_elsewhere_holds_no_row_about_a_coin_fit(
    real_frames, monkeypatch
):
    """Every detector keeps its real decisions on FGSM and flips a coin on every other fit: it
    is not degenerate as a whole, so only the per-fit gate keeps its coin fits from holding."""
    frames = degenerate_tables(real_frames, "coin", seed=0, where=_not_good)
    assert "jsd" not in degenerate_reasons(frames, REF["detection"]["youden"])
    rows = judged_rows(frames, monkeypatch)
    about = [(item, r) for item, r in counted_holds(rows) if about_detector(item, r["quantity"])]
    coin = [
        f"{item['target']} {r['where']} {r['quantity']} ({r['keys']})"
        for item, r in about
        if r["keys"].get("attack") not in GOOD
    ]
    assert not coin, coin
    # its FGSM rows still hold: the gate is per fit, not per detector
    assert any(r["keys"].get("attack") in GOOD for _, r in about)


def _off_diagonal(name, frame):
    if "attack_fit" in frame:
        return (frame["attack_fit"].astype(str) != frame["attack_test"].astype(str)).to_numpy()
    if "eps_fit" in frame:
        return (frame["eps_fit"].astype(str) != frame["eps_test"].astype(str)).to_numpy()
    return np.zeros(len(frame), bool)


def test_a_detector_perfect_on_its_fit_that_flags_nothing_else_may_only_hold_no_transfer(
    real_frames, monkeypatch
):
    """Perfect on the attack and budget it was fitted to, and flagging nothing anywhere else:
    the papers' "does not transfer" cells may hold, no cell that publishes a transfer does."""
    perfect = degenerate_tables(real_frames, "perfect", where=lambda n, f: ~_off_diagonal(n, f))
    frames = degenerate_tables(perfect, "clean", where=_off_diagonal)
    assert not degenerate_reasons(frames, REF["detection"]["youden"])
    rows = judged_rows(frames, monkeypatch)
    off = [
        (item, r)
        for item, r in counted_holds(rows)
        if item["kind"] in ("cross_matrix", "eps_matrix")
        and r["quantity"].startswith(("fit ", "test "))
        and not _diagonal_label(r["quantity"])
    ]
    transfer = [
        f"{i['target']} {r['quantity']} {r['published']}" for i, r in off if r["published"] > 0.6
    ]
    assert not transfer, transfer
    # a detector that does not transfer is what Metzen's "DeepFool-fitted detectors do not
    # generalise" says: those rows may hold (the per-fit gate spares a good fit's transfers)
    assert any(i["kind"] == "attack_transfer" for i, _ in counted_holds(rows))


def _diagonal_label(label: str) -> bool:
    """'fit a x test a' or 'test 0.1 x fit 0.1': the detector's own fit."""
    parts = label.replace("fit ", "").replace("test ", "").split(" x ")
    return len(parts) == 2 and parts[0] == parts[1]


def test_a_classifier_at_chance_holds_no_row_about_it(real_frames, monkeypatch):
    frames = {k: v.copy() for k, v in real_frames.items()}
    acc = frames["attack_accuracy"]
    acc.loc[acc["attack"].astype(str).str.startswith("baseline"), "accuracy"] = 0.1
    frames["table1"]["f_clean"] = 0.1
    monkeypatch.setitem(SETTING, "classes", 10)
    rows = judged_rows(frames, monkeypatch)
    about_f = [(i, r) for i, r in counted_holds(rows) if not about_detector(i, r["quantity"])]
    held = [f"{i['target']} {r['where']} {r['quantity']}" for i, r in about_f]
    assert not held, held
    # with f as it is, rows about f hold: the gate is what stops them
    real = judged_rows(real_frames, monkeypatch)
    assert any(not about_detector(i, r["quantity"]) for i, r in counted_holds(real))


def test_a_never_flagging_white_box_table_holds_no_detection_cell(real_frames, monkeypatch):
    frames = degenerate_tables(real_frames, "clean", where=lambda n, f: [n == "whitebox"] * len(f))
    rows = judged_rows(frames, monkeypatch)
    wb = [
        f"{i['target']} {r['where']} {r['quantity']}"
        for i, r in counted_holds(rows)
        if i.get("table") == "whitebox" and about_detector(i, r["quantity"])
    ]
    assert not wb, wb
