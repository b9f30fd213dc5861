"""The paper comparison (advsal.paper): every kind of reference item judged on hand-built tables,
each with a case that holds and one that fails (the verdict flips as the number crosses its
bound); rows on another setting are proxies kept out of the mean; missing data is "not run",
never absent; the reference file and evaluation.paper are checked before any job."""

from __future__ import annotations

import copy
import re

import matplotlib.text
import pandas as pd
import pytest
import yaml

from advsal.config import resolve
from advsal.errors import ConfigError
from advsal.paper import check_paper_keys, load_reference, run_setting
from advsal.paper.compare import compare, write_comparison
from advsal.paper.kinds import FAILS, HOLDS, KINDS, NOT_COMPARABLE, NOT_RUN, VERDICTS, Tables
from advsal.paper.markdown import comparison_markdown, fmt
from advsal.paper.reference import Context
from advsal.plan.instances import complete
from tests.helpers import ROOT, SETTING, paper_rows

REF = load_reference()

COMMON = {"target": "Table X", "text": "a published result"}


def judged(item: dict, frames: dict, published: dict | None = None, setting=SETTING) -> list[dict]:
    return paper_rows({**COMMON, **item}, frames, setting, published)


def verdicts(rows) -> list[str]:
    return [r["verdict"] for r in rows]


# -- one holding and one failing case per kind ------------------------------------------------
CELLS = {
    "kind": "cells",
    "table": "table1",
    "where": {"detector": "jsd"},
    "tolerance": 0.05,
    "tolerance_reason": "two standard errors on the test images",
    "cells": [{"match": {"attack": "fgsm"}, "d_adv": 0.99}],
}


@pytest.mark.parametrize(
    ("value", "verdict"), [(0.95, HOLDS), (0.93, FAILS), (1.04, HOLDS), (1.05, FAILS)]
)
def test_cells_hold_within_the_tolerance_and_fail_outside(value, verdict):
    frame = pd.DataFrame(
        {
            "detector": ["jsd", "id"],
            "attack": ["fgsm", "fgsm"],
            "d_adv": [value, 0.0],
            "d_clean": [1.0, 1.0],  # no false alarms: the detection rate is judged alone
        }
    )
    (row,) = judged(CELLS, {"table1": frame})
    assert row["verdict"] == verdict and row["reproduced"] == pytest.approx(value)
    assert row["lower"] == pytest.approx(0.94) and row["upper"] == pytest.approx(1.04)
    assert row["pooled"]  # a like-for-like cell enters the mean either way


@pytest.mark.parametrize(("value", "verdict"), [(0.04, HOLDS), (0.013, FAILS)])
def test_relative_tolerance_is_a_share_of_the_published_value(value, verdict):
    item = {**CELLS, "table": "attack_summary", "where": {}, "relative": True, "tolerance": 0.5}
    item["cells"] = [{"match": {"attack": "deepfool"}, "l2_rms": 0.027}]
    frame = pd.DataFrame({"attack": ["deepfool"], "l2": [value * 28]})  # l2_rms = l2 / sqrt(784)
    (row,) = judged(item, {"attack_summary": frame})
    assert row["verdict"] == verdict and row["reproduced"] == pytest.approx(value)


def test_cells_without_data_are_not_run_with_the_reason():
    nan = pd.DataFrame({"detector": ["jsd"], "attack": ["fgsm"], "d_adv": [float("nan")]})
    twice = pd.DataFrame({"detector": ["jsd"] * 2, "attack": ["fgsm"] * 2, "d_adv": [0.9, 0.8]})
    cases = [
        ({}, "makes no table1 table"),
        ({"table1": nan}, "NaN"),
        ({"table1": nan.assign(attack="bim")}, "no row of table1 with fgsm"),
        ({"table1": twice}, "2 rows of table1 match fgsm"),
    ]
    for frames, why in cases:
        (row,) = judged(CELLS, frames)
        assert row["verdict"] == NOT_RUN and why in row["reason"], row
        assert not row["pooled"]


def test_a_cell_the_paper_does_not_publish_is_shown_for_context():
    item = {**CELLS, "cells": [{"match": {"attack": "fgsm"}, "d_adv": None}]}
    frame = pd.DataFrame({"detector": ["jsd"], "attack": ["fgsm"], "d_adv": [0.5]})
    (row,) = judged(item, {"table1": frame})
    assert row["verdict"] == NOT_COMPARABLE and "not published" in row["reason"]


def test_cells_match_a_type_and_budget_and_classifier_of():
    """2020 Table 4: BIM at 0.15 by type (bim2020 here, bim in its preset), on spd's f."""
    item = {**CELLS, "table": "attack_summary", "where": {"split": "test"}, "classifier_of": "jsd"}
    item["cells"] = [{"match": {"type": "bim", "eps": 0.15}, "accuracy_adv": 0.17}]
    frame = pd.DataFrame(
        {
            "attack": ["bim", "bim2020", "rbim"],
            "eps": ["0.2", "0.15", "0.15"],
            "split": "test",
            "classifier": ["f", "f", "r"],
            "accuracy_adv": [0.05, 0.19, 0.5],
        }
    )
    (row,) = judged(item, {"attack_summary": frame})
    assert row["verdict"] == HOLDS and row["reproduced"] == pytest.approx(0.19)


def _eps_cells(values):
    fits = tests = ["0.1", "0.2"]
    rows = [
        {"detector": "jsd", "attack": "fgsm", "eps_fit": f, "eps_test": t, "accuracy": values[i][j]}
        for i, t in enumerate(tests)
        for j, f in enumerate(fits)
    ]
    return pd.DataFrame(rows)


EPS_MATRIX = {
    "kind": "eps_matrix",
    "detector": "jsd",
    "tolerance": 0.05,
    "tolerance_reason": "two standard errors on the test images",
    "attacks": {"fgsm": [[0.95, 0.70], [0.96, 1.00]]},
}


def test_eps_matrix_by_position_holds_and_fails_per_cell():
    rows = judged(EPS_MATRIX, {"eps_matrix": _eps_cells([[0.93, 0.60], [0.96, 1.0]])})
    assert verdicts(rows) == [HOLDS, FAILS, HOLDS, HOLDS]
    assert rows[1]["quantity"] == "test 0.1 x fit 0.2"  # row 1 is eps_test, column 2 eps_fit


def test_eps_matrix_of_another_size_does_not_line_up():
    item = {**EPS_MATRIX, "attacks": {"fgsm": [[0.9, 0.8, 0.7]] * 3}}
    rows = judged(item, {"eps_matrix": _eps_cells([[0.9, 0.8], [0.9, 0.9]])})
    assert set(verdicts(rows)) == {NOT_COMPARABLE} and "do not line up" in rows[0]["reason"]


def test_cross_matrix_rows_are_test_attacks_columns_fit_attacks():
    item = {
        "kind": "cross_matrix",
        "detector": "jsd",
        "attacks": ["fgsm", "bim"],
        "values": [[0.98, 0.95], [0.70, 0.99]],
        "tolerance": 0.05,
        "tolerance_reason": "two standard errors on the test images",
    }
    acc = {
        ("fgsm", "fgsm"): 0.97,
        ("bim", "fgsm"): 0.95,
        ("fgsm", "bim"): 0.85,
        ("bim", "bim"): 0.99,
    }
    frame = pd.DataFrame(
        [
            {"detector": "jsd", "attack_fit": f, "attack_test": t, "accuracy": a}
            for (f, t), a in acc.items()
        ]
    )
    rows = judged(item, {"cross_attack": frame})
    # fit fgsm -> test bim (row 2, column 1): 0.85 against the published 0.70
    assert verdicts(rows) == [HOLDS, HOLDS, FAILS, HOLDS]
    assert rows[2]["quantity"] == "fit fgsm x test bim"


BOUND = {
    "kind": "bound",
    "table": "detectability",
    "where": {"detector": "metzen"},
    "below": {"accuracy_adv": 0.3},
    "column": "accuracy",
    "stat": "min",
    "check": "above",
    "value": 0.8,
}


@pytest.mark.parametrize(("worst", "verdict"), [(0.81, HOLDS), (0.79, FAILS)])
def test_bound_min_over_the_rows_that_bring_f_low(worst, verdict):
    frame = pd.DataFrame(
        {
            "detector": "metzen",
            "attack": ["rfgsm", "rbim", "rbim"],
            "eps": ["0.1", "0.1", "0.2"],
            "accuracy_adv": [0.5, 0.2, 0.1],
            "accuracy": [0.6, 0.95, worst],  # the 0.6 row leaves f above 30%: it does not count
        }
    )
    (row,) = judged(BOUND, {"detectability": frame})
    assert row["verdict"] == verdict and row["reproduced"] == pytest.approx(worst)
    assert row["where"] == "rbim 0.2" and "over 2 rows" in row["quantity"]


def test_bound_with_no_qualifying_row_is_not_run():
    frame = pd.DataFrame(
        {
            "detector": ["metzen"],
            "attack": ["rfgsm"],
            "eps": ["0.1"],
            "accuracy_adv": [0.5],
            "accuracy": [0.9],
        }
    )
    (row,) = judged(BOUND, {"detectability": frame})
    assert row["verdict"] == NOT_RUN and "accuracy_adv < 0.3" in row["reason"]


@pytest.mark.parametrize(("best", "verdict"), [(2, HOLDS), (1, FAILS)])
def test_best_depth_holds_where_the_papers_depth_is_among_the_best(best, verdict):
    acc = [0.8, 0.85, 0.86, 0.84, 0.8]
    acc[best] = 0.95
    frame = pd.DataFrame(
        {
            "detector": "metzen",
            "attack": "rbim",
            "type": "bim",
            "ad": range(5),
            "accuracy": acc,
            "n_clean": 100,
            "n_adv": 100,
        }
    )
    item = {"kind": "best_depth", "detector": "metzen", "types": {"bim": 2}}
    (row,) = judged(item, {"depth_sweep": frame})
    assert row["verdict"] == verdict and row["reproduced"] == best


def _adaptive(value, detector="metzen", start=0.99):
    return pd.DataFrame(
        [
            {
                "attack": "dyn",
                "eps": "0.2",
                "detector": detector,
                "version": "static",
                "threshold": 0.3,
                "detectability_sigma0": start,
                "detectability_min_fooled": value,
                "sigma_at_min_fooled": 0.3,
                "accuracy_adv_at_min_fooled": 0.1,
                "n_kept_at_min_fooled": 90,
            }
        ]
    )


ADAPTIVE = {
    "kind": "adaptive",
    "version": "static",
    "while_fooled": True,
    "check": "at_most",
    "value": 0.5,
    "margin": 0.1,
    "detector_types": ["metzen"],
}


@pytest.mark.parametrize(("value", "verdict"), [(0.59, HOLDS), (0.61, FAILS)])
def test_adaptive_static_detector_near_chance(value, verdict):
    (row,) = judged(ADAPTIVE, {"adaptive": _adaptive(value)})
    assert row["verdict"] == verdict and row["tolerance"] == "≤ 0.6"


def test_adaptive_claim_on_a_detector_at_chance_before_the_attack_is_uninformative():
    """ "The dynamic adversary brings detectability to chance" says nothing of a detector that
    was at chance before it: out of the counts."""
    (row,) = judged(ADAPTIVE, {"adaptive": _adaptive(0.5, start=0.55)})
    assert row["verdict"] == HOLDS and row["basis"] == "uninformative", row
    assert "at sigma 0 the detector scores 0.550" in row["reason"]


def test_adaptive_on_another_detector_is_this_projects_extension_and_nan_is_not_run():
    (row,) = judged(ADAPTIVE, {"adaptive": _adaptive(0.55, detector="jsd")})
    assert (
        row["verdict"] == NOT_COMPARABLE
        and "extension" in row["reason"]
        and "would hold" in row["reason"]
    )
    (row,) = judged(ADAPTIVE, {"adaptive": _adaptive(float("nan"))})
    assert row["verdict"] == NOT_RUN and "no sigma brought f below 0.3" in row["reason"]


@pytest.mark.parametrize(("jsd_b", "verdict"), [(0.95, HOLDS), (0.97, FAILS)])
def test_versus_id_not_behind_jsd_on_most_attacks(jsd_b, verdict):
    frame = pd.DataFrame(
        {
            "detector": ["id"] * 3 + ["jsd"] * 3,
            "attack": ["a", "b", "c"] * 2,
            "d_accuracy": [0.99, 0.95, 0.8, 0.98, jsd_b, 0.9],
        }
    )
    item = {
        "kind": "versus",
        "table": "table1",
        "column": "d_accuracy",
        "a": "id",
        "b": "jsd",
        "margin": 0.01,
    }
    (row,) = judged(item, {"table1": frame})
    assert row["verdict"] == verdict  # b: level within the margin (0.95 vs 0.95) or behind (0.97)
    assert row["reproduced"] == pytest.approx(2 / 3 if verdict == HOLDS else 1 / 3)


def test_versus_a_tie_at_the_ceiling_is_not_a_win():
    """ID level with JSD on every attack because both detect everything: no evidence that JSD
    does not improve on ID (it has no room to), so no attack counts for the claim."""
    frame = pd.DataFrame(
        {"detector": ["id"] * 3 + ["jsd"] * 3, "attack": ["a", "b", "c"] * 2, "d_accuracy": 1.0}
    )
    item = {"kind": "versus", "table": "table1", "column": "d_accuracy", "a": "id", "b": "jsd"}
    (row,) = judged({**item, "margin": 0.01}, {"table1": frame})
    assert row["verdict"] == FAILS and row["reproduced"] == 0.0
    assert "not a win, both at the ceiling or at chance: a, b, c" in row["reason"]


@pytest.mark.parametrize(("deep", "verdict"), [(0.5, HOLDS), (0.9, FAILS)])
def test_layer_order_shallow_above_deep(deep, verdict):
    frame = pd.DataFrame(
        {
            "attack": "fgsm",
            "eps": "0.2",
            "role": ["shallow", "middle", "deep"],
            "correlation": [0.8, 0.7, deep],
        }
    )
    (row,) = judged(
        {"kind": "layer_order", "roles": ["shallow", "middle", "deep"]}, {"layer_study": frame}
    )
    assert row["verdict"] == verdict and row["reproduced"] == pytest.approx(0.8 - deep)


@pytest.mark.parametrize(("fast", "verdict"), [(0.99, HOLDS), (0.90, FAILS)])
def test_order_fast_above_iterative_above_deepfool(fast, verdict):
    frame = pd.DataFrame(
        {"detector": "metzen", "attack": ["rfgsm", "rbim", "rdf"], "d_accuracy": [fast, 0.95, 0.9]}
    )
    setting = copy.deepcopy(SETTING)
    setting["attacks"]["rdf"] = {"type": "deepfool", "classifier": "r"}
    item = {
        "kind": "order",
        "table": "table1",
        "where": {"detector": "metzen"},
        "column": "d_accuracy",
        "key": "type",
        "chains": [[["fgsm"], ["bim"], ["deepfool"]]],
    }
    (row,) = judged(item, {"table1": frame}, setting=setting)
    # the weakest link: the gap least beyond its band (two SE at 300 + 300 test images)
    assert row["verdict"] == verdict
    assert row["reproduced"] == pytest.approx(fast - 0.95 if fast < 0.95 else 0.05)


def test_order_with_a_missing_group_is_not_run():
    frame = pd.DataFrame({"detector": "metzen", "attack": ["rfgsm"], "d_accuracy": [0.9]})
    item = {
        "kind": "order",
        "table": "table1",
        "column": "d_accuracy",
        "key": "type",
        "chains": [[["fgsm"], ["bim"]]],
    }
    (row,) = judged(item, {"table1": frame})
    assert row["verdict"] == NOT_RUN and "bim" in row["reason"]


@pytest.mark.parametrize(("large_to_small", "verdict"), [(0.6, HOLDS), (0.99, FAILS)])
def test_eps_transfer_small_to_large_beats_large_to_small(large_to_small, verdict):
    frame = _eps_cells([[0.95, large_to_small], [0.97, 1.0]])
    item = {
        "kind": "eps_transfer",
        "detector": "jsd",
        "attacks": ["fgsm"],
        "floor": 0.9,
        "floor_reason": "the paper's lowest such cell",
    }
    asym, floor = judged(item, {"eps_matrix": frame})
    assert asym["verdict"] == verdict and asym["reproduced"] == pytest.approx(0.97 - large_to_small)
    assert floor["verdict"] == HOLDS and floor["reproduced"] == pytest.approx(0.95)
    low = judged(item, {"eps_matrix": _eps_cells([[0.85, 0.6], [0.97, 1.0]])})[1]
    assert low["verdict"] == FAILS  # the smallest-budget fit falls below the floor at test 0.1


def test_eps_transfer_by_type_refuses_two_instances_of_one_type():
    frame = pd.concat(
        [
            _eps_cells([[0.95, 0.6], [0.97, 1.0]]),
            _eps_cells([[0.9, 0.6], [0.9, 1.0]]).assign(attack="bim"),
        ]
    )
    frame = pd.concat([frame, frame[frame["attack"] == "bim"].assign(attack="bim2020")])
    item = {"kind": "eps_transfer", "detector": "jsd", "key": "type", "attacks": ["fgsm", "bim"]}
    fgsm, bim = judged(item, {"eps_matrix": frame})
    assert fgsm["verdict"] == HOLDS
    assert bim["verdict"] == NOT_RUN and "bim, bim2020 are all bim" in bim["reason"]


def _cross(acc):
    return pd.DataFrame(
        [
            {"detector": "jsd", "attack_fit": f, "attack_test": t, "accuracy": a}
            for (f, t), a in acc.items()
        ]
    )


@pytest.mark.parametrize(("back", "verdict"), [(0.9, HOLDS), (0.99, FAILS)])
def test_attack_transfer_asymmetric(back, verdict):
    item = {
        "kind": "attack_transfer",
        "detector": "jsd",
        "pairs": [["bim", "fgsm"]],
        "mode": "asymmetric",
    }
    (row,) = judged(item, {"cross_attack": _cross({("bim", "fgsm"): 0.98, ("fgsm", "bim"): back})})
    assert row["verdict"] == verdict and row["reproduced"] == pytest.approx(0.98 - back)


@pytest.mark.parametrize(("value", "verdict"), [(0.9, HOLDS), (0.89, FAILS)])
def test_attack_transfer_at_least(value, verdict):
    item = {
        "kind": "attack_transfer",
        "detector": "jsd",
        "pairs": [["bim", "fgsm"]],
        "mode": "at_least",
        "value": 0.9,
    }
    (row,) = judged(item, {"cross_attack": _cross({("bim", "fgsm"): value})})
    assert row["verdict"] == verdict


@pytest.mark.parametrize(("spd", "verdict"), [(0.9, HOLDS), (0.8, FAILS)])
def test_ranking_highest(spd, verdict):
    frame = pd.DataFrame(
        {
            "detector": ["spd", "spd", "id", "id", "jsd", "jsd"],
            "attack_fit": ["fgsm", "bim"] * 3,
            "attack_test": ["bim", "fgsm"] * 3,
            "accuracy": [spd, spd, 0.85, 0.85, 0.7, 0.7],
        }
    )
    setting = copy.deepcopy(SETTING)
    setting["detectors"]["spd"] = {"type": "spd", "classifier": "f"}
    item = {
        "kind": "ranking",
        "table": "fit_test",
        "column": "accuracy",
        "group": "detector",
        "subject": "spd",
        "direction": "highest",
    }
    (row,) = judged(item, {"fit_test": frame}, setting=setting)
    assert row["verdict"] == verdict and row["reproduced"] == pytest.approx(spd - 0.85)


@pytest.mark.parametrize(("jsma", "verdict"), [(0.6, HOLDS), (0.8, FAILS)])
def test_ranking_lowest_off_diagonal_by_test_type(jsma, verdict):
    frame = pd.DataFrame(
        {
            "detector": "jsd",
            "attack_fit": ["fgsm", "fgsm", "jsma", "bim", "jsma"],
            "attack_test": ["jsma", "bim", "fgsm", "jsma", "jsma"],
            "accuracy": [jsma, 0.7, 0.9, jsma, 0.1],  # jsma -> jsma (0.1): the diagonal, left out
        }
    )
    item = {
        "kind": "ranking",
        "table": "fit_test",
        "column": "accuracy",
        "group": "type_test",
        "subject": "jsma",
        "direction": "lowest",
        "off_diagonal": True,
        "classifier_of": "jsd",
    }
    (row,) = judged(item, {"fit_test": frame})
    assert row["verdict"] == verdict and row["reproduced"] == pytest.approx(0.7 - jsma)


def test_every_kind_has_a_test_and_a_schema_shape():
    schema = yaml.safe_load((ROOT / "workflow/schemas/paper_reference.schema.yaml").read_text())
    assert sorted(schema["definitions"]["kinds"]) == KINDS.names()
    # the test functions of the comparison's test modules, read from their text
    text = "".join(p.read_text() for p in (ROOT / "tests").glob("test_paper*.py"))
    names = re.findall(r"^def (test_\w+)", text, flags=re.M)
    tested = {name.split("_", 2)[1] for name in names}
    for kind in KINDS.names():
        assert kind.split("_")[0] in tested, kind


# -- the setting: like-for-like, proxy, across settings, by construction -----------------------
def test_another_setting_is_a_proxy_out_of_the_mean_with_what_it_would_say():
    frame = pd.DataFrame({"detector": ["jsd"], "attack": ["fgsm"], "d_adv": [0.93]})
    (row,) = judged(
        CELLS, {"table1": frame}, published={"dataset": "cifar10", "network": "MNIST-NET"}
    )
    assert row["verdict"] == NOT_COMPARABLE and not row["pooled"]
    assert row["reason"].startswith("proxy: MNIST where the paper has CIFAR-10")
    assert "here it would fail" in row["reason"]
    (row,) = judged(
        CELLS, {"table1": frame}, published={"dataset": "mnist", "network": "MNIST-NET"}
    )
    assert row["verdict"] == FAILS and row["pooled"]  # the same cell, like-for-like


def test_network_and_budget_of_the_row_decide_too():
    frame = pd.DataFrame(
        {"detector": ["metzen"], "attack": ["rfgsm"], "d_adv": [0.99], "d_clean": [1.0]}
    )
    item = {**CELLS, "where": {}, "cells": [{"match": {"attack": "rfgsm"}, "d_adv": 0.99}]}
    (row,) = judged(item, {"table1": frame}, published={"network": "ResNet-32"})
    assert (
        row["verdict"] == NOT_COMPARABLE
        and "ResNet-8 where the paper has ResNet-32" in row["reason"]
    )
    (row,) = judged(item, {"table1": frame.assign(eps="0.2")}, published={"budget": 1 / 255})
    assert "eps 0.2 where the paper has 0.003922" in row["reason"]
    (row,) = judged(
        item, {"table1": frame.assign(eps=repr(1 / 255))}, published={"budget": 1 / 255}
    )
    assert row["verdict"] == HOLDS


def test_comparable_across_settings_keeps_the_verdict_and_says_so():
    item = {
        "kind": "attack_transfer",
        "detector": "jsd",
        "pairs": [["bim", "fgsm"]],
        "mode": "asymmetric",
        "comparable_across_settings": "the paper states it for every dataset it reports",
    }
    (row,) = judged(
        item,
        {"cross_attack": _cross({("bim", "fgsm"): 0.98, ("fgsm", "bim"): 0.9})},
        published={"dataset": "cifar10"},
    )
    assert row["verdict"] == HOLDS and "comparable: the paper states it" in row["reason"]
    assert row["setting"] == "MNIST where the paper has CIFAR-10"


def test_by_construction_and_differs_mark_only_their_columns():
    item = {
        **CELLS,
        "by_construction": {"d_clean": "the filter keeps pairs the two nets agree on"},
        "differs": "the paper's units are not stated anywhere",
        "differs_columns": ["f_adv"],
        "cells": [{"match": {"attack": "fgsm"}, "d_adv": 0.99, "d_clean": 1.0, "f_adv": 0.1}],
    }
    frame = pd.DataFrame(
        {"detector": ["jsd"], "attack": ["fgsm"], "d_adv": [0.99], "d_clean": [1.0], "f_adv": [0.1]}
    )
    d_adv, d_clean, f_adv = judged(item, {"table1": frame})
    assert d_adv["verdict"] == HOLDS and d_adv["pooled"]
    assert d_clean["verdict"] == NOT_COMPARABLE and d_clean["reason"].startswith(
        "true by construction"
    )
    assert f_adv["verdict"] == NOT_COMPARABLE and f_adv["reason"].startswith(
        "proxy: the paper's units"
    )
    assert not d_clean["pooled"] and not f_adv["pooled"]


def test_certified_rows_read_the_certified_nets_setting():
    item = {
        **CELLS,
        "table": "certified",
        "where": {},
        "about": "certified",
        "cells": [{"match": {"model": "plain"}, "fooled_rate": 0.38}],
    }
    frame = pd.DataFrame({"model": ["plain"], "fooled_rate": [0.36]})
    published = {"dataset": "mnist", "network": "two-layer", "resolution": 28}
    (row,) = judged(item, {"certified": frame}, published=published)
    assert (
        row["verdict"] == NOT_COMPARABLE
        and "7 x 7 images where the paper has 28 x 28" in row["reason"]
    )
    setting = copy.deepcopy(SETTING)
    setting["certified"]["side"] = 28
    (row,) = judged(item, {"certified": frame}, published=published, setting=setting)
    assert row["verdict"] == HOLDS


# -- the shipped reference ---------------------------------------------------------------------
@pytest.mark.parametrize("key", list(REF["references"]))
def test_every_item_of_every_reference_gets_a_verdict_even_with_no_table(key):
    """No table at all: every published cell and claim is a "not run" row, none is dropped."""
    ctx = Context(SETTING, REF)
    entry = REF["references"][key]
    rows = compare(entry, Tables({}, ctx.attack_types), ctx)
    assert {r["group"] for r in rows} == set(range(len(entry["items"])))
    assert all(r["verdict"] == NOT_RUN and r["reason"] for r in rows)
    published = sum(
        len(c) - 1 - ("tolerance" in c) - ("paper_std" in c)
        for item in entry["items"]
        if item["kind"] == "cells"
        for c in item["cells"]
    )
    assert sum(r["cell"] and r["kind"] == "cells" for r in rows) == published


def _reference_with(tmp_path, item: dict):
    ref = copy.deepcopy(REF)
    ref["references"] = {"one": {"paper": "P", "setting": {"dataset": "mnist"}, "items": [item]}}
    path = tmp_path / "ref.yaml"
    path.write_text(yaml.safe_dump(ref))
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"table": None}, "items[0]: 'table' is a required property"),
        ({"tolerance_reason": None}, "'tolerance_reason' is a required property"),
        ({"colour": "red"}, "'cells' takes no key 'colour'"),
        ({"kind": "cellz"}, "'cellz' is not one of"),
        ({"setting": {"dataset": "svhn"}}, "dataset 'svhn' is not in datasets"),
        ({"tolerance_reason": "close"}, "is too short"),
    ],
)
def test_a_bad_reference_is_one_line_naming_the_item(tmp_path, change, message):
    item = {**COMMON, **CELLS}
    for k, v in change.items():
        if v is None:
            item.pop(k)
        else:
            item[k] = v
    with pytest.raises(ConfigError) as err:
        load_reference(_reference_with(tmp_path, item))
    assert message in str(err.value) and "references.one" in str(err.value), str(err.value)
    assert "\n" not in str(err.value)


def test_an_unknown_paper_key_stops_the_config_with_the_keys_it_knows(tmp_path):
    cfg = yaml.safe_load((ROOT / "config" / "tiny.yaml").read_text())
    cfg["evaluation"] = {"paper": ["zhang2018_mnist", "zhang2018_mnsit"]}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    with pytest.raises(ConfigError) as err:
        check_paper_keys(resolve([path]))
    msg = str(err.value)
    assert msg.startswith("config error at evaluation.paper[1]: 'zhang2018_mnsit' is not one of")
    assert "'zhang2018_mnist'" in msg and "'nguyen2018'" in msg


def test_run_setting_names_the_family_and_networks():
    cfg = resolve([ROOT / "config.yaml"])
    setting = run_setting(complete(cfg))
    assert setting["dataset"] == "mnist" and setting["shape"] == [1, 28, 28]
    ctx = Context(setting, REF)
    assert ctx.network("mnist_net") == "MNIST-NET" and ctx.network("resnet") == "ResNet-8"
    assert setting["certified"]["side"] == 7
    metzen = run_setting(complete(resolve([ROOT / "config" / "metzen_cifar10.yaml"])))
    assert (
        metzen["dataset"] == "cifar10" and Context(metzen, REF).network("resnet32") == "ResNet-32"
    )
    folder = (
        run_setting(complete(resolve([ROOT / "config" / "assira.yaml"])))
        if (ROOT / "data/assira").is_dir()
        else None
    )
    if folder:
        assert folder["dataset"] == "assira"


# -- output ------------------------------------------------------------------------------------
def test_markdown_gives_each_description_once_then_counts_and_the_mean_of_like_for_like(tmp_path):
    frame = pd.DataFrame(
        {"detector": "jsd", "attack": ["fgsm", "bim"], "d_adv": [0.97, 0.80], "d_clean": [1.0, 0.5]}
    )
    item = {
        **COMMON,
        **CELLS,
        "cells": [
            {"match": {"attack": "fgsm"}, "d_adv": 0.99, "d_clean": 1.0},
            {"match": {"attack": "bim"}, "d_adv": 1.0, "d_clean": 1.0},
        ],
    }
    entry = {
        "paper": "Paper",
        "setting": {"dataset": "mnist"},
        "items": [item, {**item, "setting": {"dataset": "cifar10"}}],
    }
    ctx = Context(SETTING, REF)
    rows = compare(entry, Tables({"table1": frame}, ctx.attack_types), ctx)
    md = comparison_markdown([("p", entry, rows)], "run", ctx)
    assert md.count(COMMON["text"]) == 2  # once per item, not once per row
    assert "| cells | 2 | 2 | 0 | 0 | 0 | 0 | 0 | 4 | 0 |" in md  # the cifar10 copy: four proxies
    assert "like-for-like cells: **rates 0.180 (4 cells)**" in md  # (0.02 + 0 + 0.2 + 0.5) / 4
    assert "| bim | d_clean | 1.00 | 0.50 | -0.500 | ±0.05 | **fails** (below) |" in md


def test_a_fail_says_its_side_and_a_pair_names_the_member_that_failed():
    frame = pd.DataFrame(
        {
            "detector": "jsd",
            "attack": ["fgsm", "bim"],
            "d_adv": [0.97, 0.998],
            "d_clean": [0.5, 1.0],
        }
    )
    item = {
        **COMMON,
        **CELLS,
        "cells": [
            {"match": {"attack": "fgsm"}, "d_adv": 0.99, "d_clean": 1.0},
            {"match": {"attack": "bim"}, "d_adv": 0.90, "d_clean": 1.0},
        ],
    }
    entry = {"paper": "Paper", "setting": {"dataset": "mnist"}, "items": [item]}
    ctx = Context(SETTING, REF)
    rows = compare(entry, Tables({"table1": frame}, ctx.attack_types), ctx)
    side = {(r["where"], r["quantity"]): (r["verdict"], r["side"]) for r in rows}
    assert side["fgsm", "d_clean"] == (FAILS, "below")
    assert side["fgsm", "d_adv"] == (FAILS, "with d_clean")  # inside its own band
    assert side["bim", "d_adv"] == (FAILS, "above")  # the reproduction beats the paper
    md = comparison_markdown([("p", entry, rows)], "run", ctx)
    assert "**fails** (with d_clean)" in md and "**fails** (above)" in md


def test_write_comparison_end_to_end(tmp_path):
    frame = pd.DataFrame(
        {"detector": ["jsd"], "attack": ["fgsm"], "d_adv": [0.985], "d_clean": [1.0]}
    )
    frame.to_csv(tmp_path / "table1.csv", index=False)
    out = write_comparison(
        ROOT / "workflow/paper_reference.yaml",
        ["zhang2018_mnist", "metzen2017"],
        {"table1": str(tmp_path / "table1.csv")},
        SETTING,
        "run",
        tmp_path / "c.md",
        tmp_path / "c.csv",
    )
    csv = pd.read_csv(tmp_path / "c.csv")
    assert len(csv) == len(out) and set(csv["verdict"]) <= set(VERDICTS)
    assert (
        csv["verdict"].notna().all()
        and (csv["reason"].notna() | csv["verdict"].isin([HOLDS, FAILS])).all()
    )
    hit = csv[
        (csv["target"] == "Table 1") & (csv["where"] == "fgsm") & (csv["quantity"] == "d_adv")
    ]
    assert hit["verdict"].tolist() == [HOLDS] and hit["pooled"].tolist() == [True]
    md = (tmp_path / "c.md").read_text()
    assert "## Metzen et al. 2017" in md and "Verdicts:" in md


def test_figure_per_paper(tmp_path):
    from advsal.plots.paper import paper_figure

    rows = [
        {
            "paper": "p",
            "target": "Table 1",
            "row": "cell",
            "published": 0.9,
            "reproduced": 0.85,
            "difference": -0.05,
            "lower": 0.85,
            "upper": 0.95,
            "verdict": HOLDS,
            "reason": "",
            "pooled": True,
        },
        {
            "paper": "p",
            "target": "Fig. 3",
            "row": "cell",
            "published": 0.5,
            "reproduced": 0.8,
            "difference": 0.3,
            "lower": 0.45,
            "upper": 0.55,
            "verdict": NOT_COMPARABLE,
            "reason": "proxy: x",
            "pooled": False,
        },
        {
            "paper": "p",
            "target": "Fig. 3",
            "row": "claim",
            "published": 0.0,
            "reproduced": 0.2,
            "difference": None,
            "lower": None,
            "upper": None,
            "verdict": HOLDS,
            "reason": "",
            "pooled": False,
            "margin": 0.15,
        },
    ]
    for r in rows:
        r.setdefault("where", "fgsm")
        r.setdefault("quantity", "accuracy")
    pd.DataFrame(rows).to_csv(tmp_path / "c.csv", index=False)
    from advsal.plots.base import style, text_overlaps
    from advsal.plots.paper import draw_paper

    style(opts := {"font_scale": 1.0, "dpi": 60, "format": "png"})
    fig = draw_paper(pd.read_csv(tmp_path / "c.csv"), "p")
    labels = {t.get_text() for t in fig.findobj(matplotlib.text.Text)}
    assert any(t.startswith("Fig. 3: fgsm") for t in labels)  # the claim
    assert "reproduced value" in labels  # the y axis names its quantity
    assert not text_overlaps(fig)
    paper_figure(tmp_path / "c.csv", "p", tmp_path / "p.png", opts)
    paper_figure(
        tmp_path / "c.csv", "other", tmp_path / "none.png", opts
    )  # nothing to draw: says so
    assert (tmp_path / "p.png").stat().st_size > 1000 and (
        tmp_path / "none.png"
    ).stat().st_size > 500


def test_numbers_keep_their_digits():
    assert [fmt(v) for v in (0.99, 0.1927, 0.0017, 1.0, 2, 0.0, None)] == [
        "0.99",
        "0.193",
        "0.0017",
        "1.00",
        "2",
        "0.00",
        "–",
    ]


def test_a_pairs_table_row_is_about_its_first_attacks_classifier():
    """Table 5's rows name attack_a / attack_b: the setting comes from attack_a's classifier."""
    item = {
        **CELLS,
        "table": "saliency_pairs",
        "where": {},
        "cells": [{"match": {"type_a": "fgsm", "type_b": "jsma"}, "ratio_to_different": 0.85}],
    }
    frame = pd.DataFrame({"attack_a": ["fgsm"], "attack_b": ["jsma"], "ratio_to_different": [0.83]})
    (row,) = judged(item, {"saliency_pairs": frame}, published={"network": "MNIST-NET"})
    assert row["verdict"] == HOLDS and row["pooled"]
    (row,) = judged(
        item, {"saliency_pairs": frame.assign(attack_a="rfgsm")}, published={"network": "MNIST-NET"}
    )
    assert (
        row["verdict"] == NOT_COMPARABLE
        and "ResNet-8 where the paper has MNIST-NET" in row["reason"]
    )


def test_an_unknown_paper_key_stops_snakemake_before_any_job(tmp_path):
    import subprocess

    from tests.helpers import snakemake_command

    cfg = yaml.safe_load((ROOT / "config" / "tiny.yaml").read_text())
    cfg["evaluation"] = {"paper": "metzen2071"}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    proc = subprocess.run(
        snakemake_command(tmp_path, tmp_path / "c.yaml", "-n"), capture_output=True, text=True
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "Traceback" not in out
    assert "config error at evaluation.paper: 'metzen2071' is not one of" in out
