"""How the kinds find the rows an item is about: the detector or classifier it names, the keys
that say a row's setting, the 30% rule's flags, an attack instance by name or type."""

from __future__ import annotations

import pandas as pd

from advsal.paper.verdicts import TYPE_COLUMNS, is_false


def absent(table: str) -> str:
    return f"this run makes no {table} table (the stage that writes it is not in the config)"


def missing_columns(frame: pd.DataFrame, table: str, *cols: str) -> str:
    """Why a table cannot decide a claim ("" when it has every column)."""
    gone = [c for c in cols if c not in frame]
    return f"{table} has no column {', '.join(gone)}" if gone else ""


def item_keys(item: dict, ctx) -> dict:
    """The keys of a claim about one detector (its classifier is the claim's network)."""
    det = item.get("detector") or (item.get("where") or {}).get("detector")
    det = det or item.get("classifier_of")
    return {"detector": det} if isinstance(det, str) else {}


def with_classifier(item: dict, frame: pd.DataFrame, ctx):
    """``where`` plus the classifier ``classifier_of`` names; None if that detector is not in
    the run."""
    where = dict(item.get("where") or {})
    owner = item.get("classifier_of")
    if owner:
        det = ctx.setting["detectors"].get(owner)
        if det is None:
            return None
        if "classifier" in frame:
            where["classifier"] = det["classifier"]
    return where


# the columns that say what a row is about (its setting), and where tables name them otherwise
ROW_KEYS = {
    "detector": ("detector",),
    "attack": ("attack", "attack_fit", "attack_a"),
    "eps": ("eps", "eps_fit", "eps_a"),
    "classifier": ("classifier",),
}


def row_keys(sub: pd.DataFrame, extra: dict) -> dict:
    if not len(sub):
        return extra
    first = sub.iloc[0]
    keys = dict(extra)
    for key, cols in ROW_KEYS.items():
        found = [first[c] for c in cols if c in sub and isinstance(first[c], str)]
        if found:
            keys[key] = found[0]
    return keys


def rule_unmet(found) -> str:
    """Why a row read at the 30% rule's budget cannot be judged ("" where the rule was met)."""
    for col in ("threshold_met", "rule_met_fit", "rule_met_test"):
        if col in found and is_false(found[col]):
            return (
                "the 30% rule was not met: no budget of the grid brought f below the "
                "threshold, so the largest was taken (not the paper's budget)"
            )
    return ""


def rule_met(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows read at a budget the 30% rule reached (the others are not the paper's)."""
    if "threshold_met" not in frame:
        return frame
    return frame[~frame["threshold_met"].map(is_false)]


def eps_sorted(values) -> list[str]:
    return sorted(set(values), key=float)


def instance(frame: pd.DataFrame, key: str, name: str, col: str = "attack"):
    """The one attack instance of a name (key ``attack``) or type; None and why otherwise."""
    if key == "attack":
        return (name, "") if (frame[col] == name).any() else (None, f"no {name} in this run")
    type_col = TYPE_COLUMNS[col]
    found = list(dict.fromkeys(frame.loc[frame[type_col] == name, col]))
    if len(found) == 1:
        return found[0], ""
    why = (
        f"no {name} attack in this run"
        if not found
        else f"{', '.join(found)} are all {name}: name one"
    )
    return None, why


def means_by(frame: pd.DataFrame, key: str, names, col: str):
    """Mean of ``col`` per name of ``key`` (type or attack); the names absent from the run."""
    vals = {n: frame.loc[frame[key] == n, col].mean() for n in names}
    return {n: v for n, v in vals.items() if not pd.isna(v)}, [n for n in names if pd.isna(vals[n])]


def match_of(spec: dict, match: dict) -> bool:
    """Whether a ``calibrated`` spec (its ``match``: every key equal) names this entry."""
    return all(match.get(k) == v for k, v in spec.get("match", {}).items())
