"""The verdict primitives every kind of reference item shares: the verdicts, the run's tables
(:class:`Tables`, with a type column beside every attack column), a compared row (:func:`row`),
a cell against its band (:func:`judge`), a claim against its threshold (:func:`claim`) and a
difference the paper says is positive (:func:`gap_claim`: a tie is not an ordering)."""

from __future__ import annotations

import math
from typing import NamedTuple

import pandas as pd

from advsal.paper.detection import degenerate_fits, degenerate_reasons, fit_degenerate
from advsal.registry import Registry

HOLDS, FAILS, NOT_COMPARABLE, NOT_RUN = "holds", "fails", "not comparable", "not run"


CALIBRATED = "calibrated"  # a cell the run's settings were tuned to hit: out of the counts


VERDICTS = (HOLDS, FAILS, CALIBRATED, NOT_COMPARABLE, NOT_RUN)


KINDS: Registry = Registry("paper reference kind")


EPS_COLUMNS = ("eps", "eps_fit", "eps_test", "eps_a", "eps_b")


# attack columns and the type column each gets (the attack instance's registered type)
TYPE_COLUMNS = {
    "attack": "type",
    "attack_fit": "type_fit",
    "attack_test": "type_test",
    "attack_a": "type_a",
    "attack_b": "type_b",
}


class Tables:
    """The run's tables by name (absent: the run does not make that table), each with a type
    column beside every attack column and, for the attack summary, L2 as RMS per pixel."""

    def __init__(self, frames: dict, attack_types: dict, features: int | None = None) -> None:
        self.frames, self.types, self.features = frames, attack_types, features
        self._degenerate: dict[float, dict] = {}
        self._fits: dict[float, dict] = {}

    def degenerate(self, bound: float) -> dict[str, str]:
        """Detector -> why it is degenerate at Youden's J ``bound`` (:mod:`.detection`)."""
        if bound not in self._degenerate:
            self._degenerate[bound] = degenerate_reasons(self.frames, bound)
        return self._degenerate[bound]

    def degenerate_fit(self, bound: float, keys: dict) -> str | None:
        """Why the fit a row is about (its detector, attack and budget) is degenerate, or None."""
        if bound not in self._fits:
            self._fits[bound] = degenerate_fits(self.frames, bound)
        return fit_degenerate(self._fits[bound], keys)

    def clean_accuracy(self, classifier: str) -> float | None:
        """A classifier's accuracy on the clean test images (tables/attack_accuracy.csv's
        baseline row), where the run has it."""
        frame = self.frames.get("attack_accuracy")
        if frame is None or "classifier" not in frame:
            return None
        hit = frame[
            (frame["classifier"].astype(str) == classifier)
            & frame["attack"].astype(str).str.startswith("baseline")
        ]
        return float(hit["accuracy"].iloc[0]) if len(hit) else None

    def get(self, name: str) -> pd.DataFrame | None:
        frame = self.frames.get(name)
        if frame is None:
            return None
        frame = frame.copy()
        for col, type_col in TYPE_COLUMNS.items():
            if col in frame and type_col not in frame:
                frame[type_col] = frame[col].map(lambda a: self.types.get(a, a))
        if "l2" in frame and self.features:
            frame["l2_rms"] = frame["l2"] / math.sqrt(self.features)
        return frame


def token(col: str, value) -> str:
    """A reference value as the table holds it (budgets as their exact path tokens)."""
    if col in EPS_COLUMNS and isinstance(value, int | float) and not isinstance(value, bool):
        return repr(float(value))
    return str(value)


def select(frame: pd.DataFrame, match: dict | None) -> pd.DataFrame:
    """The rows whose columns hold the given values (a list: any of them)."""
    for col, value in (match or {}).items():
        if col not in frame:
            return frame.iloc[0:0]
        values = value if isinstance(value, list) else [value]
        frame = frame[frame[col].astype(str).isin([token(col, v) for v in values])]
    return frame


def describe(match: dict) -> str:
    bare = ("attack", "type", "type_a", "type_b", "detector", "model", "saliency", "version")
    bare += ("subset", "setting")
    return ", ".join(str(v) if k in bare else f"{k} {v}" for k, v in match.items())


class Bound(NamedTuple):
    """What the reproduced number is held to: how it reads ("±0.05", "> 0.8") and, for a cell,
    the interval it must fall in."""

    text: str = ""
    lower: float | None = None
    upper: float | None = None


def row(
    where,
    quantity,
    published,
    reproduced,
    verdict,
    reason="",
    *,
    bound="",
    keys=None,
    cell=False,
) -> dict:
    """One compared quantity, held to ``bound`` (a :class:`Bound` or its text); ``keys``: the
    detector, attack, eps or classifier the row is about (its setting)."""
    bound = Bound(bound) if isinstance(bound, str) else bound
    return {
        "where": where,
        "quantity": quantity,
        "published": _num(published),
        "reproduced": _num(reproduced),
        "lower": bound.lower,
        "upper": bound.upper,
        "tolerance": bound.text,
        "verdict": verdict,
        "reason": reason,
        "keys": {k: v for k, v in (keys or {}).items() if v is not None},
        "cell": cell,
        "repeat": False,
        "labels": None,
        "margin": None,
        "side": "",  # a failing cell: "above" / "below" its band, or the pair member that failed
        "decided_by": "" if cell else "claim",  # a cell: "band" (computed) or "tolerance" (set)
    }


def _num(v):
    if v is None or isinstance(v, bool):
        return v
    v = float(v)
    return None if math.isnan(v) else v


def missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def not_run(where, quantity, reason, published=None, keys=None, cell=False) -> dict:
    return row(where, quantity, published, None, NOT_RUN, reason, keys=keys, cell=cell)


def judge(
    where, quantity, published, reproduced, tolerance, relative=False, keys=None, width=None
) -> dict:
    """A published cell against ours: holds within ``width`` (the interval computed from the
    counts, :func:`advsal.paper.bands.band`) or ``tolerance`` (``relative``: a factor of 1 +
    ``tolerance`` either way); no published value: context only; no value of ours: not run."""
    if published is None:
        return row(
            where,
            quantity,
            None,
            reproduced,
            NOT_COMPARABLE,
            "not published; shown for context",
            keys=keys,
            cell=True,
        )
    if missing(reproduced):
        return not_run(where, quantity, "the run's value is missing (NaN)", published, keys, True)
    if width is not None:  # a computed interval (advsal.paper.bands.band)
        lower, upper = width
        bound = f"[{lower:.3f}, {upper:.3f}]"
    elif relative:  # "within a factor 1.5 either way": [p / 1.5, 1.5 p]
        factor = 1.0 + tolerance
        lower, upper = sorted((published / factor, published * factor))
        bound = f"×÷{factor:g}"
    else:
        lower, upper, bound = published - tolerance, published + tolerance, f"±{tolerance:g}"
    ok = lower - 1e-9 <= reproduced <= upper + 1e-9
    out = row(
        where,
        quantity,
        published,
        reproduced,
        HOLDS if ok else FAILS,
        bound=Bound(bound, lower, upper),
        keys=keys,
        cell=True,
    )
    if not ok:
        out["side"] = "above" if reproduced > upper else "below"
    out["decided_by"] = "band" if width is not None else "tolerance"
    return out


OPS = {"above": ">", "at_least": "≥", "at_most": "≤", "below": "<"}


SLACK = {"above": -1.0, "at_least": -1.0, "at_most": 1.0, "below": 1.0}  # the claim's favour


def check(value: float, op: str, threshold: float, margin: float = 0.0) -> bool:
    """A claim's condition, the margin moving the threshold in the claim's favour."""
    limit = threshold + SLACK[op] * margin
    return {
        "above": value > limit,
        "at_least": value >= limit - 1e-9,
        "at_most": value <= limit + 1e-9,
        "below": value < limit,
    }[op]


def claim(where, quantity, published, reproduced, op, margin=0.0, keys=None, detail="") -> dict:
    """A claim decided by one number against a threshold (``published``)."""
    if missing(reproduced):
        return not_run(
            where, quantity, detail or "the run's value is missing (NaN)", published, keys
        )
    ok = check(reproduced, op, published, margin)
    limit = published + SLACK[op] * margin
    bound = f"{OPS[op]} {limit:g}"
    condition = f"{OPS[op]} {published:g}"  # what the paper states: a condition, not a value
    out = row(
        where,
        quantity,
        published,
        reproduced,
        HOLDS if ok else FAILS,
        detail,
        bound=bound,
        keys=keys,
    )
    out["margin"] = float(reproduced) - limit if op in ("above", "at_least") else limit - reproduced
    out["labels"] = {"published": condition}
    return out


def gap_claim(where, quantity, gap, band, keys=None, detail="", margin=0.0) -> dict:
    """A difference the paper says is positive (one thing ahead of another): holds only beyond
    ``band`` (two standard errors at the run's image counts, or the item's margin where that is
    more); within it the two are tied, and a tie is not an ordering."""
    if missing(gap):
        return not_run(where, quantity, detail or "the run's value is missing (NaN)", 0.0, keys)
    band = max(band, margin)
    if band <= 0:  # no image count and no margin: any difference, however small, would order
        why = "no band to tell a tie from an ordering (the run's image count is unknown)"
        return not_run(where, quantity, join(detail, why), 0.0, keys)
    tied = abs(gap) <= band + 1e-12
    why = f"a tie: the difference is within ±{band:.3f}, not an ordering" if tied else ""
    out = row(
        where,
        quantity,
        0.0,
        gap,
        HOLDS if gap > band + 1e-12 else FAILS,
        join(detail, why),
        bound=f"> {band:.3f}",
        keys=keys,
    )
    out["margin"] = float(gap) - band
    out["labels"] = {"published": "> 0 (ahead)"}
    return out


def join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def is_false(value) -> bool:
    """Whether a table's flag says no (a bool, numpy's or Python's, or the text "False")."""
    if isinstance(value, str):
        return value.strip().lower() == "false"
    return not pd.isna(value) and not bool(value)
