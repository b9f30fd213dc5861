"""A detector's decisions in the run's tables, declared once: which columns are its rates, and
which detectors are degenerate (flag everything, nothing, or at random).

A detection rate alone cannot tell a detector from one that flags every image, and a clean-pass
rate alone cannot tell it from one that flags none. So the comparison (:mod:`.compare`)

- judges a detection rate together with its false alarms: the published pair (Zhang's d_clean
  and d_adv, Nguyen's tp and tn) holds only where both hold, and a detection rate published
  without false alarms (the 2020 paper's Table 3) holds only where the run's false alarms are
  at most the reference file's ``detection.false_alarms`` bound;
- never lets a degenerate detector's row hold: one whose detection rate minus false-alarm rate
  (Youden's J) is at most ``detection.youden`` on every one of its own fits, tested on the
  attack and budget it was fitted to.

:func:`degenerate_tables` rewrites a run's tables as if every detector were replaced by one
that always says clean, always says adversarial, or flips a coin: the test that no such run
earns a "holds" on any detector row (tests/test_paper_degenerate.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Rates:
    """A table's detector columns. ``adv``: the share of adversarials flagged; ``clean``: the
    share of clean images flagged (``clean_passed``: passed instead); ``balanced``: accuracies
    on clean and adversarial images together; ``auc``: ROC AUCs; ``spread``: standard
    deviations over seeds of those."""

    adv: str | None = None
    clean: str | None = None
    clean_passed: bool = False
    balanced: tuple[str, ...] = ()
    auc: tuple[str, ...] = ()
    spread: tuple[str, ...] = ()

    @property
    def columns(self) -> set[str]:
        return {c for c in (self.adv, self.clean) if c} | {*self.balanced, *self.auc, *self.spread}

    def false_alarms(self, row) -> float | None:
        """The share of clean images a table row's detector flags."""
        if not self.clean or self.clean not in row or pd.isna(row[self.clean]):
            return None
        value = float(row[self.clean])
        return 1.0 - value if self.clean_passed else value


_CELLS = Rates("tpr", "fpr", balanced=("accuracy",), auc=("auc",))

# every table whose columns include a detector's decisions
DETECTOR_TABLES: dict[str, Rates] = {
    "eps_matrix": _CELLS,
    "cross_attack": _CELLS,
    "detectability": _CELLS,
    "fit_test": _CELLS,
    "combined": _CELLS,
    "depth_sweep": _CELLS,
    "table1": Rates("d_adv", "d_clean", True, ("d_accuracy",), ("d_auc",)),
    "whitebox": Rates(
        "detection_rate_mean",
        "false_alarms_mean",
        balanced=("detectability_mean",),
        spread=("detection_rate_std", "false_alarms_std", "detectability_std"),
    ),
    "dynamic": Rates("detector_flags_adv", "detector_flags_clean", balanced=("detectability",)),
    "adaptive": Rates(
        balanced=("detectability_sigma0", "detectability_min", "detectability_min_fooled")
    ),
    "paired": Rates("tp", "tn", True),
}

# kinds whose every row is about a detector (the others: by the column they read)
DETECTOR_KINDS = {
    "eps_matrix",
    "cross_matrix",
    "eps_transfer",
    "attack_transfer",
    "best_depth",
    "adaptive",
    "versus",
    "threshold",
    "group_transfer",
}


# what a degenerate detector gives: (share of adversarials flagged, share of clean flagged)
DEGENERATE_DECISIONS = {
    "never flags": (0.0, 0.0),
    "always flags": (1.0, 1.0),
    "flips a coin": (0.5, 0.5),
}


def inside(value: float, lower, upper) -> bool:
    """Whether a band (either end None: no band) holds ``value``."""
    return lower is not None and upper is not None and lower - 1e-9 <= value <= upper + 1e-9


def uninformative_pair(adv: dict, clean: dict, clean_passed: bool) -> str:
    """Why a published pair (detection rate, false alarms or clean pass rate) cannot tell a
    detector from a degenerate one: some degenerate detector's pair lies inside both bands."""
    lo, hi = clean["lower"], clean["upper"]
    if clean_passed and lo is not None and hi is not None:
        lo, hi = 1.0 - hi, 1.0 - lo
    for what, (a, c) in DEGENERATE_DECISIONS.items():
        if inside(a, adv["lower"], adv["upper"]) and inside(c, lo, hi):
            return (
                f"uninformative: a detector that {what} ({a:g} of the adversarials, {c:g} of the "
                "clean images flagged) is inside both bands"
            )
    return ""


def uninformative_rate(rate: dict, false_alarm_bound: float) -> str:
    """A detection rate published alone, held with a false-alarm bound: uninformative where a
    degenerate detector that passes the bound (one that never flags, at least) is inside."""
    for what, (a, c) in DEGENERATE_DECISIONS.items():
        if c <= false_alarm_bound + 1e-9 and inside(a, rate["lower"], rate["upper"]):
            return (
                f"uninformative: a detector that {what} ({a:g} of the adversarials flagged, "
                f"false alarms {c:g}) is inside the band"
            )
    return ""


def uninformative_score(score: dict) -> str:
    """An accuracy on clean and adversarial images together, or an AUC: uninformative where
    chance (0.5, what every degenerate detector scores) is inside its band."""
    if inside(0.5, score["lower"], score["upper"]):
        return "uninformative: chance (0.5, what a degenerate detector scores) is inside the band"
    return ""


def about_detector(item: dict, column: str | None) -> bool:
    """Whether a row of ``item`` that reads ``column`` judges a detector."""
    if item["kind"] in DETECTOR_KINDS:
        return True
    rates = DETECTOR_TABLES.get(item.get("table", ""))
    col = column if item["kind"] == "cells" else item.get("column")
    return bool(rates and col in rates.columns)


def youden(frame: pd.DataFrame, rates: Rates) -> pd.Series:
    """Detection rate minus false-alarm rate per row (NaN where a table lacks either)."""
    if not rates.adv or rates.adv not in frame or rates.clean not in frame:
        return pd.Series(np.nan, index=frame.index)
    clean = frame[rates.clean].astype(float)
    return frame[rates.adv].astype(float) - (1.0 - clean if rates.clean_passed else clean)


def own_fits(frames: dict) -> pd.DataFrame:
    """Every detector tested on what it was fitted to: its eps_fit = eps_test cells of the
    detectability table and a combined detector's cells on its whole mix, with Youden's J."""
    parts = []
    det = frames.get("detectability")
    if det is not None and len(det):
        parts.append(det.assign(j=youden(det, _CELLS))[["detector", "attack", "eps", "j"]])
    comb = frames.get("combined")
    if comb is not None and len(comb):
        mix = comb[comb["attack_test"].astype(str) == "all"]
        mix = mix.assign(j=youden(mix, _CELLS), attack="all", eps="")
        parts.append(mix[["detector", "attack", "eps", "j"]])
    if not parts:
        return pd.DataFrame(columns=["detector", "attack", "eps", "j"])
    return pd.concat(parts, ignore_index=True)


def degenerate_reasons(frames: dict, bound: float) -> dict[str, str]:
    """Detector -> why it is degenerate (only those that are): on none of its own fits does it
    flag more than ``bound`` more of the adversarials than of the clean images."""
    fits = own_fits(frames).dropna(subset=["j"])
    out = {}
    for name, grp in fits.groupby("detector", sort=False):
        best = grp.loc[grp["j"].idxmax()]
        if best["j"] <= bound + 1e-9:
            eps = "" if best["eps"] in ("", "none") else f" eps {best['eps']}"
            where = f"{best['attack']}{eps}"
            out[str(name)] = (
                f"degenerate detector {name}: on its own fits it flags at most "
                f"{best['j']:+.2f} more of the adversarials than of the clean images "
                f"(best: {where}; a detector is degenerate at J <= {bound:g})"
            )
    return out


class Fits(NamedTuple):
    """One detector's own fits on one attack: how many, and why each degenerate one is."""

    count: int
    bad: dict[str, str]  # eps token -> why


def degenerate_fits(frames: dict, bound: float) -> dict[tuple[str, str], Fits]:
    """(detector, attack) -> its own fits there, with those whose Youden's J is at most
    ``bound``: a detector that works on one attack and is a coin on another is degenerate on
    that fit alone, and no row about the fit holds."""
    own = own_fits(frames)
    count = own.groupby([own["detector"].astype(str), own["attack"].astype(str)]).size()
    out: dict[tuple[str, str], Fits] = {}
    for _, f in own.dropna(subset=["j"]).iterrows():
        if f["j"] <= bound + 1e-9:
            eps = "" if str(f["eps"]) in ("", "none", "nan") else str(f["eps"])
            where = f"{f['attack']}{f' eps {eps}' if eps else ''}"
            key = (str(f["detector"]), str(f["attack"]))
            fits = out.setdefault(key, Fits(int(count[key]), {}))
            fits.bad[_eps_token(eps)] = (
                f"degenerate fit: {f['detector']} fitted to {where} flags {f['j']:+.2f} more of "
                f"its adversarials than of the clean images (J <= {bound:g})"
            )
    return out


def fit_degenerate(fits: dict[tuple[str, str], Fits], keys: dict) -> str | None:
    """Why the fit a row is about is degenerate, or None: the row's detector and attack (the
    one fitted to) and, where the row names it, the budget; without a budget, every own fit of
    that detector on that attack must be degenerate."""
    found = fits.get((str(keys.get("detector")), str(keys.get("attack"))))
    if found is None:
        return None
    eps = keys.get("eps")
    if eps is not None and str(eps) not in ("", "none"):
        return found.bad.get(_eps_token(eps))
    return next(iter(found.bad.values())) if len(found.bad) >= found.count else None


def _eps_token(eps) -> str:
    try:
        return repr(float(eps))
    except (TypeError, ValueError):
        return str(eps)


# -- the degenerate-run test's rewrite ----------------------------------------------------------
def _decisions(kind: str, n: int, rng: np.random.Generator, images: np.ndarray):
    """Detection rate and false-alarm rate per row of a detector that always says clean,
    always says adversarial, or flips a fair coin on each of ``images`` images."""
    if kind == "clean":
        return np.zeros(n), np.zeros(n)
    if kind == "adversarial":
        return np.ones(n), np.ones(n)
    if kind == "coin":
        return rng.binomial(images, 0.5) / images, rng.binomial(images, 0.5) / images
    if kind == "perfect":  # not degenerate: every adversarial flagged, no clean image
        return np.ones(n), np.zeros(n)
    raise ValueError(f"unknown degenerate detector {kind!r}: clean, adversarial, coin or perfect")


def degenerate_tables(frames: dict, kind: str, seed: int = 0, where=None) -> dict:
    """The run's tables with every detector's decisions replaced by a degenerate detector's
    (``kind``: clean, adversarial or coin; ``perfect`` for the contrast); every other column as
    it was. ``where(name, frame)``: a boolean mask of the rows to replace (default: all)."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, frame in frames.items():
        rates = DETECTOR_TABLES.get(name)
        if rates is None or frame is None or not len(frame):
            out[name] = frame
            continue
        if where is not None:
            mask = np.asarray(where(name, frame), dtype=bool)
            if not mask.any():
                out[name] = frame
                continue
            if not mask.all():
                part = degenerate_tables({name: frame[mask]}, kind, seed)[name]
                merged = frame.copy()
                merged.loc[mask, part.columns] = part
                out[name] = merged
                continue
        frame = frame.copy()
        n = len(frame)
        images = (
            frame["n_adv"].fillna(300).astype(int).clip(lower=1).to_numpy()
            if "n_adv" in frame
            else np.full(n, 300)
        )
        tpr, fpr = _decisions(kind, n, rng, images)
        if rates.adv in frame:
            frame[rates.adv] = tpr
        if rates.clean in frame:
            frame[rates.clean] = 1.0 - fpr if rates.clean_passed else fpr
        if "n_clean" in frame and "n_adv" in frame:
            n_clean, n_adv = frame["n_clean"].astype(float), frame["n_adv"].astype(float)
            weighted = (n_clean * (1.0 - fpr) + n_adv * tpr) / (n_clean + n_adv)
        else:
            weighted = 0.5 * (1.0 - fpr + tpr)
        for col in rates.balanced:
            if col in frame:
                frame[col] = np.where(frame[col].isna(), np.nan, weighted)
        for col in rates.auc:
            if col in frame:
                frame[col] = 0.5
        for col in rates.spread:
            if col in frame:
                frame[col] = 0.0
        out[name] = frame
    return out
