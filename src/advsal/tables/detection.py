"""Tidy tables derived from the attack statistics and the evaluation cells.

Zhang Table 1, the eps_fit x eps_test matrices (Zhang Fig. 3), the cross-attack matrix (Fig. 4),
classifier accuracy under each attack (model_based_saliency2020 Table 4), perturbation rate and
sizes (its Table 2), and detectability vs classifier accuracy (Metzen Fig. 2 left).
"""

from __future__ import annotations

import pandas as pd

from advsal import io
from advsal.metrics import choose_eps
from advsal.tables import read_table
from advsal.tokens import CLEAN, COMBINED, NO_EPS


def _at_chosen(cells: pd.DataFrame, chosen: dict, side: str) -> pd.Series:
    return cells[f"eps_{side}"] == cells[f"attack_{side}"].map(chosen)


def build_tables(eval_csvs, attack_summary_csv, evaluation: dict, fits=None, explicit=()) -> dict:
    """``evaluation``: ``accuracy_threshold`` and ``select_on`` (the eps rule); ``fits``: the
    (attack, eps) pairs each detector is fitted to; the cells among them of the detectors that
    name their ``fit_on`` (``explicit``) make the fit x test table (model_based_saliency2020
    Fig. 2)."""
    fits = fits or {}
    cells = _spread_agnostic(pd.concat([read_table(p) for p in eval_csvs], ignore_index=True))
    combined = cells[cells["attack_fit"] == COMBINED]
    cells = cells[cells["attack_fit"] != COMBINED]
    summary = read_table(attack_summary_csv)
    chosen_df = choose_eps(summary, evaluation["accuracy_threshold"], evaluation["select_on"])
    chosen = dict(zip(chosen_df["attack"], chosen_df["eps"], strict=True))
    met = dict(zip(chosen_df["attack"], chosen_df["threshold_met"], strict=True))
    test = summary[summary["split"] == "test"].set_index(["attack", "eps"])
    # f's clean test accuracy, per attack (an attack names its classifier)
    f_clean = test.groupby(level="attack")["accuracy_clean"].first()
    clf_of = test.groupby(level="attack")["classifier"].first()

    same = cells[cells["attack_fit"] == cells["attack_test"]]
    eps_matrix = same.rename(columns={"attack_fit": "attack"}).drop(columns="attack_test")
    cross = cells[_at_chosen(cells, chosen, "fit") & _at_chosen(cells, chosen, "test")].copy()
    # an attack whose grid never brought f below the threshold is flagged wherever it appears
    cross["rule_met_fit"] = cross["attack_fit"].map(met)
    cross["rule_met_test"] = cross["attack_test"].map(met)

    diag = cross[cross["attack_fit"] == cross["attack_test"]]
    table1 = pd.DataFrame(
        {
            "detector": diag["detector"].values,
            "classifier": diag["attack_fit"].map(clf_of).values,
            "attack": diag["attack_fit"].values,
            "eps": diag["eps_fit"].values,
            "threshold_met": diag["attack_fit"].map(met).values,
            "f_clean": diag["attack_fit"].map(f_clean).values,
            "f_adv": [
                test.loc[(a, e), "accuracy_adv"]
                for a, e in zip(diag["attack_fit"], diag["eps_fit"], strict=True)
            ],
            "d_clean": 1.0 - diag["fpr"].values,
            "d_adv": diag["tpr"].values,
            "d_accuracy": diag["accuracy"].values,
            "d_auc": diag["auc"].values,
            "agnostic": diag["agnostic"].values,
        }
    )
    at_chosen = test.loc[list(chosen.items())].reset_index()
    at_chosen["threshold_met"] = at_chosen["attack"].map(met)
    baseline = (
        test.reset_index()
        .groupby("classifier", sort=False)["accuracy_clean"]
        .first()
        .reset_index()
        .assign(attack="baseline (clean)", eps="", threshold_met="")
        .rename(columns={"accuracy_clean": "accuracy"})
    )
    accuracy = pd.concat(
        [
            baseline,
            at_chosen[["classifier", "attack", "eps", "threshold_met", "accuracy_adv"]].rename(
                columns={"accuracy_adv": "accuracy"}
            ),
        ],
        ignore_index=True,
    )[["classifier", "attack", "eps", "threshold_met", "accuracy"]]
    perturbation = at_chosen[
        [
            "classifier",
            "attack",
            "eps",
            "threshold_met",
            "norm",
            "success_rate",
            "l0_frac",
            "l2",
            "linf",
            "l2_success",
        ]
    ]
    detectability = eps_matrix[eps_matrix["eps_fit"] == eps_matrix["eps_test"]].merge(
        test[["accuracy_adv"]].reset_index().rename(columns={"eps": "eps_fit"}),
        on=["attack", "eps_fit"],
    )
    return {
        "fit_test": _among_fits(cells, {d: fits[d] for d in explicit}),
        "combined": _combined(combined, fits),
        "table1": table1,
        "eps_matrix": eps_matrix.reset_index(drop=True),
        "cross_attack": cross.reset_index(drop=True),
        "chosen_eps": chosen_df,
        "attack_accuracy": accuracy,
        "perturbation": perturbation.reset_index(drop=True),
        "detectability": detectability.rename(columns={"eps_fit": "eps"})
        .drop(columns="eps_test")
        .reset_index(drop=True),
    }


def _spread_agnostic(cells: pd.DataFrame) -> pd.DataFrame:
    """An attack-agnostic detector's one fit (attack_fit ``clean``) stands for a fit to every
    attack it is tested on: its cells are repeated under each, marked ``agnostic``."""
    agnostic = cells["attack_fit"] == CLEAN
    cells = cells.assign(agnostic=False)
    parts = [cells[~agnostic]]
    for _, sub in cells[agnostic].groupby("detector", sort=False):
        for a, e in dict.fromkeys(zip(sub["attack_test"], sub["eps_test"], strict=True)):
            parts.append(sub.assign(attack_fit=a, eps_fit=e, agnostic=True))
    return pd.concat(parts, ignore_index=True)


def _pairs(frame: pd.DataFrame, side: str) -> pd.Series:
    return list(zip(frame[f"attack_{side}"], frame[f"eps_{side}"], strict=True))


def _among_fits(cells: pd.DataFrame, fits: dict) -> pd.DataFrame:
    """Cells whose fit and test are both among the detector's own fit_on pairs."""
    parts = []
    for det, pairs in fits.items():
        sub = cells[cells["detector"] == det]
        own = {tuple(p) for p in pairs}
        keep = [
            f in own and t in own
            for f, t in zip(_pairs(sub, "fit"), _pairs(sub, "test"), strict=True)
        ]
        parts.append(sub[keep])
    cols = list(cells.columns)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)


def _combined(cells: pd.DataFrame, fits: dict) -> pd.DataFrame:
    """Each combined detector (Table 6) on its mix of attacks (attack_test ``all``) and on each
    of them alone."""
    rows = []
    for det, sub in cells.groupby("detector", sort=False):
        own = {tuple(p) for p in fits.get(det, [])} | {(COMBINED, NO_EPS)}
        rows.append(sub[[t in own for t in _pairs(sub, "test")]])
    cols = list(cells.columns)
    frame = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=cols)
    return frame.drop(columns=["attack_fit", "eps_fit"])


def write_tables(tables: dict, outputs: dict) -> None:
    for key, frame in tables.items():
        io.write_csv(outputs[key], frame)
