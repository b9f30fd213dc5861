"""Tidy tables derived from the attack statistics and the evaluation cells.

Zhang Table 1, the eps_fit x eps_test matrices (Zhang Fig. 3), the cross-attack matrix (Fig. 4),
classifier accuracy under each attack (model_based_saliency2020 Table 4), perturbation rate and
sizes (its Table 2), and detectability vs classifier accuracy (Metzen Fig. 2 left).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from advsal import io
from advsal.tables import read_table
from advsal.tokens import CLEAN, COMBINED, NO_EPS


def _at_chosen(cells: pd.DataFrame, chosen: dict, side: str) -> pd.Series:
    return cells[f"eps_{side}"] == cells[f"attack_{side}"].map(chosen)


@dataclass(frozen=True)
class Cells:
    """What every table reads, derived once: the evaluation cells (an attack-agnostic fit
    spread over its tests, the combined fits apart), the attack summary's test rows by
    (attack, eps), and each attack's chosen eps, whether it met the rule, f's clean accuracy
    and its classifier."""

    cells: pd.DataFrame
    combined: pd.DataFrame
    test: pd.DataFrame
    chosen: dict
    met: dict
    f_clean: pd.Series
    clf_of: pd.Series

    @classmethod
    def read(cls, eval_csvs, attack_summary_csv, chosen_csv) -> Cells:
        """``chosen_csv``: each attack's chosen eps (rule ``attack_summary``'s)."""
        cells = _spread_agnostic(pd.concat([read_table(p) for p in eval_csvs], ignore_index=True))
        summary = read_table(attack_summary_csv)
        chosen = read_table(chosen_csv)
        test = summary[summary["split"] == "test"].set_index(["attack", "eps"])
        return cls(
            cells=cells[cells["attack_fit"] != COMBINED],
            combined=cells[cells["attack_fit"] == COMBINED],
            test=test,
            chosen=dict(zip(chosen["attack"], chosen["eps"], strict=True)),
            met=dict(zip(chosen["attack"], chosen["threshold_met"], strict=True)),
            f_clean=test.groupby(level="attack")["accuracy_clean"].first(),
            clf_of=test.groupby(level="attack")["classifier"].first(),
        )

    @property
    def same_attack(self) -> pd.DataFrame:
        """Cells fitted and tested on one attack, at every (eps_fit, eps_test)."""
        same = self.cells[self.cells["attack_fit"] == self.cells["attack_test"]]
        return same.rename(columns={"attack_fit": "attack"}).drop(columns="attack_test")

    @property
    def at_chosen(self) -> pd.DataFrame:
        """The attack summary's test row of each attack at its chosen eps."""
        rows = self.test.loc[list(self.chosen.items())].reset_index()
        rows["threshold_met"] = rows["attack"].map(self.met)
        return rows


def eps_matrix(d: Cells) -> pd.DataFrame:
    """Zhang Fig. 3: eps_fit x eps_test per attack and detector."""
    return d.same_attack.reset_index(drop=True)


def cross_attack(d: Cells) -> pd.DataFrame:
    """Zhang Fig. 4: fit attack x test attack, each at its chosen eps; an attack whose grid
    never brought f below the threshold is flagged wherever it appears."""
    cells = d.cells
    cross = cells[_at_chosen(cells, d.chosen, "fit") & _at_chosen(cells, d.chosen, "test")].copy()
    cross["rule_met_fit"] = cross["attack_fit"].map(d.met)
    cross["rule_met_test"] = cross["attack_test"].map(d.met)
    return cross.reset_index(drop=True)


def table1(d: Cells) -> pd.DataFrame:
    """Zhang Table 1: each detector on its own attack at the chosen eps, with f's accuracy."""
    cross = cross_attack(d)
    diag = cross[cross["attack_fit"] == cross["attack_test"]]
    return pd.DataFrame(
        {
            "detector": diag["detector"].values,
            "classifier": diag["attack_fit"].map(d.clf_of).values,
            "attack": diag["attack_fit"].values,
            "eps": diag["eps_fit"].values,
            "threshold_met": diag["attack_fit"].map(d.met).values,
            "f_clean": diag["attack_fit"].map(d.f_clean).values,
            "f_adv": [
                d.test.loc[(a, e), "accuracy_adv"]
                for a, e in zip(diag["attack_fit"], diag["eps_fit"], strict=True)
            ],
            "d_clean": 1.0 - diag["fpr"].values,
            "d_adv": diag["tpr"].values,
            "d_accuracy": diag["accuracy"].values,
            "d_auc": diag["auc"].values,
            "agnostic": diag["agnostic"].values,
        }
    )


def attack_accuracy(d: Cells) -> pd.DataFrame:
    """model_based_saliency2020 Table 4: f's clean accuracy, then its accuracy under each
    attack at the chosen eps."""
    baseline = (
        d.test.reset_index()
        .groupby("classifier", sort=False)["accuracy_clean"]
        .first()
        .reset_index()
        .assign(attack="baseline (clean)", eps="", threshold_met="")
        .rename(columns={"accuracy_clean": "accuracy"})
    )
    attacked = d.at_chosen[["classifier", "attack", "eps", "threshold_met", "accuracy_adv"]]
    return pd.concat(
        [baseline, attacked.rename(columns={"accuracy_adv": "accuracy"})], ignore_index=True
    )[["classifier", "attack", "eps", "threshold_met", "accuracy"]]


PERTURBATION = ("norm", "success_rate", "l0_frac", "l2", "linf", "l2_success")


def perturbation(d: Cells) -> pd.DataFrame:
    """model_based_saliency2020 Table 2: success rate and sizes per attack at the chosen eps."""
    columns = ["classifier", "attack", "eps", "threshold_met", *PERTURBATION]
    return d.at_chosen[columns].reset_index(drop=True)


def detectability(d: Cells) -> pd.DataFrame:
    """Metzen Fig. 2 (left): each detector's accuracy on its own attack and eps, beside f's
    accuracy under it."""
    same = d.same_attack
    frame = same[same["eps_fit"] == same["eps_test"]].merge(
        d.test[["accuracy_adv"]].reset_index().rename(columns={"eps": "eps_fit"}),
        on=["attack", "eps_fit"],
    )
    return frame.rename(columns={"eps_fit": "eps"}).drop(columns="eps_test").reset_index(drop=True)


def build_tables(eval_csvs, attack_summary_csv, chosen_csv, fits=None, explicit=()) -> dict:
    """Every table of rule ``tables`` by name. ``chosen_csv``: each attack's chosen eps;
    ``fits``: the (attack, eps) pairs each detector is fitted to; the cells among them of the
    detectors that name their ``fit_on`` (``explicit``) make the fit x test table
    (model_based_saliency2020 Fig. 2), and each combined detector's its Table 6 rows."""
    fits = fits or {}
    d = Cells.read(eval_csvs, attack_summary_csv, chosen_csv)
    return {
        "fit_test": _among_fits(d.cells, {det: fits[det] for det in explicit}),
        "combined": _combined(d.combined, fits),
        **{name: build(d) for name, build in BUILDERS.items()},
    }


# the tables read from the cells and the attack summary alone, in the rule's output order
BUILDERS = {
    "table1": table1,
    "eps_matrix": eps_matrix,
    "cross_attack": cross_attack,
    "attack_accuracy": attack_accuracy,
    "perturbation": perturbation,
    "detectability": detectability,
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
