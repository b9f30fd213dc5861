"""Each table of rule ``tables`` (advsal.tables.detection) from a small run whose every number
is set here: which cells each table keeps, and the values it derives (Zhang Table 1's d_clean
from the false alarms, f's accuracy at the chosen eps, the rule's flag)."""

from __future__ import annotations

import itertools
import json

import pandas as pd
import pytest

from advsal.tables import read_table
from advsal.tables.attacks import attack_summary
from advsal.tables.detection import (
    BUILDERS,
    Cells,
    attack_accuracy,
    build_tables,
    cross_attack,
    detectability,
    eps_matrix,
    perturbation,
    table1,
)

# (attack, eps, classifier, f's accuracy under it on val and test): fgsm's 0.2 and deepfool
# bring f below 0.3; weak never does (its largest eps is taken, the rule not met)
ATTACKS = [
    ("fgsm", "0.1", "net", 0.5),
    ("fgsm", "0.2", "net", 0.2),
    ("deepfool", "none", "net", 0.05),
    ("weak", "0.1", "net2", 0.7),
]
F_CLEAN = {"net": 0.98, "net2": 0.9}
RULE = {"accuracy_threshold": 0.3, "select_on": "val"}


def _accuracy(fit: tuple, test: tuple) -> float:
    """A detector's accuracy, distinct per (fit, test) so that every kept cell is traceable."""
    i, j = ATTACKS.index(fit), ATTACKS.index(test)
    return round(0.5 + 0.1 * i + 0.01 * j, 4)


@pytest.fixture
def run(tmp_path):
    keys = [a[:2] for a in ATTACKS]
    cells = [
        dict(
            detector="jsd",
            attack_fit=f[0],
            eps_fit=f[1],
            attack_test=t[0],
            eps_test=t[1],
            accuracy=_accuracy(ATTACKS[keys.index(f)], ATTACKS[keys.index(t)]),
            tpr=0.9,
            fpr=0.05,
            auc=0.95,
            n_clean=100,
            n_adv=100,
        )
        for f, t in itertools.product(keys, keys)
    ]
    # an attack-agnostic detector: one clean fit, tested on two attacks
    cells += [
        dict(
            detector="contrast",
            attack_fit="clean",
            eps_fit="none",
            attack_test=a,
            eps_test=e,
            accuracy=0.7,
            tpr=0.6,
            fpr=0.2,
            auc=0.8,
            n_clean=100,
            n_adv=100,
        )
        for a, e in (("fgsm", "0.2"), ("deepfool", "none"))
    ]
    pd.DataFrame(cells).to_csv(tmp_path / "cells.csv", index=False)
    summary = pd.DataFrame(
        [
            dict(
                attack=a,
                eps=e,
                split=s,
                classifier=c,
                accuracy_clean=F_CLEAN[c],
                accuracy_adv=acc if s == "val" else acc + 0.01,  # test differs from val
                norm="linf",
                success_rate=0.8,
                l0_frac=0.5,
                l2=1.0 + i,
                linf=float(e) if e != "none" else 0.3,
                l2_success=1.5,
            )
            for i, (a, e, c, acc) in enumerate(ATTACKS)
            for s in ("val", "test")
        ]
    )
    summary.to_csv(tmp_path / "summary.csv", index=False)
    jsons = []
    for i, rec in enumerate(summary.to_dict("records")):  # the attack jobs' statistics files
        jsons.append(tmp_path / f"{i}.json")
        jsons[-1].write_text(json.dumps(rec))
    attack_summary(jsons, tmp_path / "summary.csv", tmp_path / "chosen.csv", RULE)
    return Cells.read([tmp_path / "cells.csv"], tmp_path / "summary.csv", tmp_path / "chosen.csv")


def test_chosen_eps_is_the_smallest_below_the_threshold_or_the_largest_flagged(run, tmp_path):
    frame = read_table(tmp_path / "chosen.csv").set_index("attack")
    assert frame.loc["fgsm", "eps"] == "0.2" and frame.loc["deepfool", "eps"] == "none"
    assert frame.loc["weak", "eps"] == "0.1" and not frame.loc["weak", "threshold_met"]
    assert frame.loc[["fgsm", "deepfool"], "threshold_met"].all()
    assert frame.loc["fgsm", "accuracy_adv"] == pytest.approx(0.2)  # read on val


def test_eps_matrix_keeps_every_budget_pair_of_one_attack(run):
    frame = eps_matrix(run)
    jsd = frame[frame["detector"] == "jsd"]
    fgsm = jsd[jsd["attack"] == "fgsm"]
    assert set(zip(fgsm["eps_fit"], fgsm["eps_test"], strict=True)) == {
        (a, b) for a in ("0.1", "0.2") for b in ("0.1", "0.2")
    }
    assert len(jsd) == 4 + 1 + 1  # fgsm 2 x 2, deepfool, weak
    # the agnostic detector's clean fit stands for a fit to each attack it was tested on
    contrast = frame[frame["detector"] == "contrast"]
    assert set(contrast["attack"]) == {"fgsm", "deepfool"} and contrast["agnostic"].all()


def test_cross_attack_keeps_the_chosen_eps_on_both_sides_and_flags_the_rule(run):
    frame = cross_attack(run)
    jsd = frame[frame["detector"] == "jsd"]
    assert len(jsd) == 3 * 3  # fgsm 0.2, deepfool, weak: fit x test
    chosen = {"fgsm": "0.2", "deepfool": "none", "weak": "0.1"}
    for side in ("fit", "test"):
        assert (jsd[f"eps_{side}"] == jsd[f"attack_{side}"].map(chosen)).all()
    row = jsd[(jsd["attack_fit"] == "fgsm") & (jsd["attack_test"] == "weak")].iloc[0]
    assert row["accuracy"] == _accuracy(ATTACKS[1], ATTACKS[3])
    assert row["rule_met_fit"] and not row["rule_met_test"]


def test_table1_is_the_cross_attack_diagonal_with_f_and_d_rates(run):
    frame = table1(run).set_index(["detector", "attack"])
    row = frame.loc[("jsd", "fgsm")]
    assert row["eps"] == "0.2" and row["classifier"] == "net"
    assert row["f_clean"] == pytest.approx(0.98)
    assert row["f_adv"] == pytest.approx(0.21)  # the test split's, at the chosen eps
    assert row["d_clean"] == pytest.approx(0.95) and row["d_adv"] == pytest.approx(0.9)
    assert row["d_accuracy"] == _accuracy(ATTACKS[1], ATTACKS[1]) and not row["agnostic"]
    assert frame.loc[("jsd", "weak"), "classifier"] == "net2"
    assert not frame.loc[("jsd", "weak"), "threshold_met"]
    assert frame.loc[("contrast", "deepfool"), "agnostic"]
    assert frame.loc[("contrast", "deepfool"), "d_clean"] == pytest.approx(0.8)
    assert len(frame) == 3 + 2


def test_attack_accuracy_has_each_classifiers_baseline_then_each_attack(run):
    frame = attack_accuracy(run)
    assert list(frame["attack"]) == ["baseline (clean)"] * 2 + ["fgsm", "deepfool", "weak"]
    assert list(frame["classifier"][:2]) == ["net", "net2"]
    assert list(frame["accuracy"][:2]) == pytest.approx([0.98, 0.9])
    assert list(frame["accuracy"][2:]) == pytest.approx([0.21, 0.06, 0.71])  # test split


def test_perturbation_is_one_row_per_attack_at_its_chosen_eps(run):
    frame = perturbation(run).set_index("attack")
    assert list(frame.index) == ["fgsm", "deepfool", "weak"]
    assert frame.loc["fgsm", "l2"] == pytest.approx(2.0)  # the 0.2 row, not the 0.1
    assert frame.loc["fgsm", "linf"] == pytest.approx(0.2)
    assert not frame.loc["weak", "threshold_met"]


def test_detectability_pairs_each_own_budget_with_fs_accuracy(run):
    frame = detectability(run)
    jsd = frame[frame["detector"] == "jsd"].set_index(["attack", "eps"])
    assert len(jsd) == 2 + 1 + 1  # fgsm at 0.1 and 0.2, deepfool, weak
    assert jsd.loc[("fgsm", "0.1"), "accuracy_adv"] == pytest.approx(0.51)
    assert jsd.loc[("fgsm", "0.1"), "accuracy"] == _accuracy(ATTACKS[0], ATTACKS[0])
    assert "eps_test" not in frame.columns


def test_build_tables_names_every_table_of_the_rule(run, tmp_path):
    from advsal.plan.core import TABLES

    tables = build_tables(
        [tmp_path / "cells.csv"], tmp_path / "summary.csv", tmp_path / "chosen.csv"
    )
    assert set(tables) == set(TABLES) and set(BUILDERS) < set(TABLES)
    assert tables["fit_test"].empty and tables["combined"].empty  # no fit_on, no combined fit
    pd.testing.assert_frame_equal(tables["table1"], table1(run))
