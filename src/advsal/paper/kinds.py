"""One function per kind of reference item: the rows it compares, each with a verdict.

A kind reads the run's tables (:class:`Tables`) and returns rows (:func:`row`) that say where
(attack, budget, detector), what (a column, or a claim's quantity), the published and reproduced
numbers, the bounds the reproduced one must fall within, and ``holds`` / ``fails``, or ``not
run`` with the reason, or ``not comparable`` (a cell the paper does not publish). Whether the
run's setting matches the paper's is decided afterwards, for every kind alike
(:mod:`advsal.paper.compare`). Adding a kind is one function here plus its shape in
workflow/schemas/paper_reference.schema.yaml.
"""

from __future__ import annotations

import math

import pandas as pd

from advsal.paper.bands import band, images, images_for, two_se
from advsal.paper.detection import DETECTOR_TABLES, degenerate_reasons
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

    def degenerate(self, bound: float) -> dict[str, str]:
        """Detector -> why it is degenerate at Youden's J ``bound`` (:mod:`.detection`)."""
        if bound not in self._degenerate:
            self._degenerate[bound] = degenerate_reasons(self.frames, bound)
        return self._degenerate[bound]

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


def row(
    where,
    quantity,
    published,
    reproduced,
    verdict,
    reason="",
    *,
    lower=None,
    upper=None,
    bound="",
    keys=None,
    cell=False,
) -> dict:
    """One compared quantity. ``lower`` / ``upper``: the interval the reproduced number must
    fall in (cells) and ``bound`` how it reads ("±0.05", "> 0.8"); ``keys``: the detector,
    attack, eps or classifier the row is about (its setting)."""
    return {
        "where": where,
        "quantity": quantity,
        "published": _num(published),
        "reproduced": _num(reproduced),
        "lower": lower,
        "upper": upper,
        "tolerance": bound,
        "verdict": verdict,
        "reason": reason,
        "keys": {k: v for k, v in (keys or {}).items() if v is not None},
        "cell": cell,
        "repeat": False,
        "labels": None,
        "margin": None,
    }


def _num(v):
    if v is None or isinstance(v, bool):
        return v
    v = float(v)
    return None if math.isnan(v) else v


def _missing(value) -> bool:
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
    if _missing(reproduced):
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
    return row(
        where,
        quantity,
        published,
        reproduced,
        HOLDS if ok else FAILS,
        lower=lower,
        upper=upper,
        bound=bound,
        keys=keys,
        cell=True,
    )


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
    if _missing(reproduced):
        return not_run(
            where, quantity, detail or "the run's value is missing (NaN)", published, keys
        )
    ok = check(reproduced, op, published, margin)
    limit = published + SLACK[op] * margin
    bound = f"{OPS[op]} {limit:g}"
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
    return out


def gap_claim(where, quantity, gap, band, keys=None, detail="", margin=0.0) -> dict:
    """A difference the paper says is positive (one thing ahead of another): holds only beyond
    ``band`` (two standard errors at the run's image counts, or the item's margin where that is
    more); within it the two are tied, and a tie is not an ordering."""
    if _missing(gap):
        return not_run(where, quantity, detail or "the run's value is missing (NaN)", 0.0, keys)
    band = max(band, margin)
    tied = abs(gap) <= band + 1e-12
    why = f"a tie: the difference is within ±{band:.3f}, not an ordering" if tied else ""
    out = row(
        where,
        quantity,
        0.0,
        gap,
        HOLDS if gap > band + 1e-12 else FAILS,
        _join(detail, why),
        bound=f"> {band:.3f}",
        keys=keys,
    )
    out["margin"] = float(gap) - band
    return out


def _absent(table: str) -> str:
    return f"this run makes no {table} table (the stage that writes it is not in the config)"


def _lacking(frame: pd.DataFrame, table: str, *cols: str) -> str:
    """Why a table cannot decide a claim ("" when it has every column)."""
    gone = [c for c in cols if c not in frame]
    return f"{table} has no column {', '.join(gone)}" if gone else ""


def _item_keys(item: dict, ctx) -> dict:
    """The keys of a claim about one detector (its classifier is the claim's network)."""
    det = item.get("detector") or (item.get("where") or {}).get("detector")
    det = det or item.get("classifier_of")
    return {"detector": det} if isinstance(det, str) else {}


def _with_classifier(item: dict, frame: pd.DataFrame, ctx):
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


def _row_keys(sub: pd.DataFrame, extra: dict) -> dict:
    if not len(sub):
        return extra
    first = sub.iloc[0]
    keys = dict(extra)
    for key, cols in ROW_KEYS.items():
        found = [first[c] for c in cols if c in sub and isinstance(first[c], str)]
        if found:
            keys[key] = found[0]
    return keys


# -- published cells ---------------------------------------------------------------------------
@KINDS.register("cells")
def cells(item, tables, ctx) -> list[dict]:
    """Each entry's ``match`` picks one row of the table; every other key is a column and its
    published value. A detector's rates are judged together (:func:`_rates_together`); a row
    read at a budget the 30% rule did not reach is not run."""
    frame = tables.get(item["table"])
    extra = _item_keys(item, ctx)
    where = None if frame is None else _with_classifier(item, frame, ctx)
    base = None if where is None else select(frame, where)
    once = set(item.get("once") or ())
    calibrated = item.get("calibrated") or {}
    rows = []
    for entry in item["cells"]:
        match = entry["match"]
        sub = None if base is None else select(base, match)
        keys = extra if sub is None else _row_keys(sub, extra)
        unmet = "" if sub is None or len(sub) != 1 else _rule_unmet(sub.iloc[0])
        mine = []
        for col, pub in entry.items():
            if col in ("match", "tolerance", "paper_std"):
                continue
            label = describe(match)
            if frame is None:
                mine.append(not_run(label, col, _absent(item["table"]), pub, keys, True))
            elif where is None:
                why = f"no detector {item['classifier_of']!r} in this run"
                mine.append(not_run(label, col, why, pub, keys, True))
            elif len(sub) != 1:
                why = (
                    f"no row of {item['table']} with {describe(match)}"
                    if not len(sub)
                    else f"{len(sub)} rows of {item['table']} match {describe(match)}"
                )
                mine.append(not_run(label, col, why, pub, keys, True))
            elif col not in sub:
                mine.append(
                    not_run(label, col, f"{item['table']} has no column {col}", pub, keys, True)
                )
            elif unmet and col not in once:
                mine.append(not_run(label, col, unmet, pub, keys, True))
            else:
                tol = entry.get("tolerance", item.get("tolerance"))
                if isinstance(tol, dict):  # a cell's own tolerance is for its own column
                    tol = tol.get(col, item.get("tolerance"))
                rep = sub[col].iloc[0]
                rep = None if pd.isna(rep) else float(rep)
                width = _width(
                    item, pub, sub.iloc[0], col, ctx, (entry.get("paper_std") or {}).get(col)
                )
                got = judge(label, col, pub, rep, tol, item.get("relative", False), keys, width)
                if col in calibrated and match_of(calibrated[col], match):
                    got = calibrate(got, calibrated[col]["reason"])
                mine.append(got)
        if sub is not None and len(sub) == 1:
            _rates_together(item, mine, sub.iloc[0], ctx)
        rows += mine
    _count_once(rows, once)
    return rows


def _width(item, published, found, column, ctx, std=None) -> tuple[float, float] | None:
    """The cell's interval where the item computes it (``band``), from the row's counts."""
    if "band" not in item or published is None:
        return None
    rates = DETECTOR_TABLES.get(item.get("table", ""))
    n = images_for(found, column, rates, ctx.setting.get("test_images"))
    return band(published, n, item["band"], std)


def match_of(spec: dict, match: dict) -> bool:
    """Whether a ``calibrated`` spec (its ``match``: every key equal) names this entry."""
    return all(match.get(k) == v for k, v in spec.get("match", {}).items())


def calibrate(got: dict, reason: str) -> dict:
    """A cell the run was tuned to hit: shown, out of the counts and the mean."""
    if got["verdict"] in (HOLDS, FAILS):
        outcome = "hold" if got["verdict"] == HOLDS else "fail"
        got["verdict"] = CALIBRATED
        got["reason"] = f"calibrated: {reason}; it would {outcome}"
    return got


def _rule_unmet(found) -> str:
    """Why a row read at the 30% rule's budget cannot be judged ("" where the rule was met)."""
    for col in ("threshold_met", "rule_met_fit", "rule_met_test"):
        if col in found and _false(found[col]):
            return (
                "the 30% rule was not met: no budget of the grid brought f below the "
                "threshold, so the largest was taken (not the paper's budget)"
            )
    return ""


def _false(value) -> bool:
    """Whether a table's flag says no (a bool, numpy's or Python's, or the text "False")."""
    if isinstance(value, str):
        return value.strip().lower() == "false"
    return not pd.isna(value) and not bool(value)


def _rates_together(item, rows: list[dict], found, ctx) -> None:
    """A detector's detection rate and its false alarms are one result: where an entry
    publishes both (Zhang's d_adv and d_clean, Nguyen's tp and tn) each holds only where both
    do; a detection rate published alone holds only where the run's false alarms are at most
    the reference's bound."""
    rates = DETECTOR_TABLES.get(item["table"])
    if rates is None or not rates.adv:
        return
    by_col = {r["quantity"]: r for r in rows}
    adv, clean = by_col.get(rates.adv), by_col.get(rates.clean)
    if adv is not None and clean is not None:
        judged = [r for r in (adv, clean) if r["verdict"] in (HOLDS, FAILS)]
        failed = [r["quantity"] for r in judged if r["verdict"] == FAILS]
        if len(judged) == 2 and failed:
            for r in judged:
                if r["verdict"] == HOLDS:
                    r["verdict"] = FAILS
                    r["reason"] = _join(
                        r["reason"], f"judged with {failed[0]}, which fails: one detector's pair"
                    )
        return
    if adv is None or adv["verdict"] != HOLDS:
        return
    alarms = rates.false_alarms(found)
    bound = ctx.detection["false_alarms"]
    if alarms is None:
        adv["verdict"] = NOT_RUN
        adv["reason"] = _join(adv["reason"], "no false-alarm rate to judge the detection rate with")
    elif alarms > bound + 1e-9:
        adv["verdict"] = FAILS
        adv["reason"] = _join(
            adv["reason"],
            f"degenerate: it flags {alarms:.2f} of the clean images (bound {bound:g})",
        )
    else:
        adv["reason"] = _join(adv["reason"], f"false alarms {alarms:.2f} (bound {bound:g})")


def _count_once(rows: list[dict], once: set[str]) -> None:
    """A column that is one measurement across entries (f's clean accuracy in every row of
    Zhang's Table 1) counts once: its later rows are shown, out of the counts."""
    seen = set()
    for r in rows:
        if r["quantity"] in once and r["verdict"] in (HOLDS, FAILS):
            if r["quantity"] in seen:
                r["repeat"] = True
                r["reason"] = _join(r["reason"], "the same measurement as above: counted once")
            seen.add(r["quantity"])


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def _eps_sorted(values) -> list[str]:
    return sorted(set(values), key=float)


@KINDS.register("eps_matrix")
def eps_matrix(item, tables, ctx) -> list[dict]:
    """A detector's eps_test x eps_fit matrix per attack, the run's budgets by position."""
    frame = tables.get("eps_matrix")
    det = item["detector"]
    rows = []
    for attack, grid in item["attacks"].items():
        keys = {"detector": det, "attack": attack}
        sub = (
            None
            if frame is None
            else frame[(frame["detector"] == det) & (frame["attack"] == attack)]
        )
        fits = [] if sub is None else _eps_sorted(sub["eps_fit"])
        tests = [] if sub is None else _eps_sorted(sub["eps_test"])
        shape = (len(grid), len(grid[0]))
        for i, published_row in enumerate(grid):
            for j, pub in enumerate(published_row):
                cell = f"test #{i + 1} x fit #{j + 1}"
                if sub is None or not len(sub):
                    why = _absent("eps_matrix") if frame is None else f"no {det} cells for {attack}"
                    rows.append(not_run(attack, cell, why, pub, keys, True))
                    continue
                if (len(tests), len(fits)) != shape:
                    why = (
                        f"the run has {len(tests)} x {len(fits)} budgets of {attack}, the figure "
                        f"{shape[0]} x {shape[1]}: positions do not line up"
                    )
                    rows.append(
                        row(attack, cell, pub, None, NOT_COMPARABLE, why, keys=keys, cell=True)
                    )
                    continue
                hit = sub[(sub["eps_test"] == tests[i]) & (sub["eps_fit"] == fits[j])]
                rep = float(hit["accuracy"].iloc[0]) if len(hit) else None
                label = f"test {float(tests[i]):.4g} x fit {float(fits[j]):.4g}"
                width = _width(item, pub, hit.iloc[0], "accuracy", ctx) if len(hit) else None
                rows.append(
                    judge(
                        attack,
                        label,
                        pub,
                        rep,
                        item.get("tolerance"),
                        keys={**keys, "eps": fits[j]},
                        width=width,
                    )
                )
    return rows


@KINDS.register("cross_matrix")
def cross_matrix(item, tables, ctx) -> list[dict]:
    """Fitted to one attack (columns), tested on another (rows), at the chosen budgets."""
    frame = tables.get("cross_attack")
    det, attacks = item["detector"], item["attacks"]
    sub = None if frame is None else frame[frame["detector"] == det]
    rows = []
    for i, test in enumerate(attacks):
        for j, fit in enumerate(attacks):
            pub = item["values"][i][j]
            keys = {"detector": det, "attack": fit}
            label = f"fit {fit} x test {test}"
            hit = (
                None
                if sub is None
                else sub[(sub["attack_fit"] == fit) & (sub["attack_test"] == test)]
            )
            if hit is None or not len(hit):
                why = (
                    _absent("cross_attack")
                    if frame is None
                    else f"no {det} cell fitted to {fit}, tested on {test}"
                )
                rows.append(not_run(test, label, why, pub, keys, True))
            elif _rule_unmet(hit.iloc[0]):
                rows.append(not_run(test, label, _rule_unmet(hit.iloc[0]), pub, keys, True))
            else:
                rows.append(
                    judge(
                        test,
                        label,
                        pub,
                        float(hit["accuracy"].iloc[0]),
                        item.get("tolerance"),
                        keys=keys,
                        width=_width(item, pub, hit.iloc[0], "accuracy", ctx),
                    )
                )
    return rows


# -- claims ------------------------------------------------------------------------------------
@KINDS.register("bound")
def bound(item, tables, ctx) -> list[dict]:
    """The min (or max) of a column over the qualifying rows against a published threshold."""
    frame = tables.get(item["table"])
    keys = _item_keys(item, ctx)
    stat, col = item["stat"], item["column"]
    quantity = f"{stat} {col}"
    if frame is None:
        return [not_run("all", quantity, _absent(item["table"]), item["value"], keys)]
    where = _with_classifier(item, frame, ctx)
    if where is None:
        return [
            not_run(
                "all",
                quantity,
                f"no detector {item['classifier_of']!r} in this run",
                item["value"],
                keys,
            )
        ]
    lacking = _lacking(frame, item["table"], col, *(item.get("below") or {}))
    if lacking:
        return [not_run("all", quantity, lacking, item["value"], keys)]
    sub = select(frame, where)
    conditions = []
    for c, limit in (item.get("below") or {}).items():
        sub = sub[pd.to_numeric(sub[c], errors="coerce") < limit]
        conditions.append(f"{c} < {limit:g}")
    for ex in item.get("exclude") or []:
        sub = sub.drop(select(sub, ex).index)
        conditions.append(f"not {describe(ex)}")
    sub = sub.dropna(subset=[col])
    over = f"over {len(sub)} rows" + (f" with {' and '.join(conditions)}" if conditions else "")
    if not len(sub):
        return [
            not_run(
                "all",
                quantity,
                f"no row qualifies ({' and '.join(conditions) or 'none'})",
                item["value"],
                keys,
            )
        ]
    at = sub[col].idxmin() if stat == "min" else sub[col].idxmax()
    hit = sub.loc[at]
    where_label = " ".join(str(hit[c]) for c in ("attack", "eps") if c in sub)
    return [
        claim(
            where_label,
            f"{quantity} {over}",
            item["value"],
            float(hit[col]),
            item["check"],
            item.get("margin", 0.0),
            keys={**keys, "eps": hit.get("eps")},
        )
    ]


@KINDS.register("best_depth")
def best_depth(item, tables, ctx) -> list[dict]:
    """Per attack: the paper's depth must detect it best, ahead of every other depth by more
    than two standard errors of the difference (depths within that band are tied, and a tie
    does not single out the paper's depth)."""
    frame = tables.get("depth_sweep")
    det = item["detector"]
    if frame is None:
        return [
            not_run(t, "best attachment depth", _absent("depth_sweep"), d, {"detector": det})
            for t, d in item["types"].items()
        ]
    rows = []
    sub = frame[frame["detector"] == det]
    seen = set()
    for attack, grp in sub.groupby("attack", sort=False):
        kind = grp["type"].iloc[0]
        if kind not in item["types"]:
            continue
        seen.add(kind)
        pub = item["types"][kind]
        keys = {"detector": det, "attack": attack}
        acc = grp.set_index("ad")["accuracy"].astype(float)
        n = images(grp.iloc[0])
        best = int(acc.idxmax())
        tied = [
            int(a)
            for a in acc.index
            if acc[best] - acc[a] <= two_se(acc[best], n, acc[a], n) + 1e-12
        ]
        ties = ", ".join(f"AD({a})" for a in tied)
        quantity = f"best attachment depth (accuracy {acc[best]:.3f}; within two SE: {ties})"
        if pub not in acc.index:
            rows.append(not_run(attack, quantity, f"AD({pub}) is not in the sweep", pub, keys))
            continue
        holds = tied == [pub]
        why = (
            ""
            if holds
            else (
                f"AD({pub}) is tied with {', '.join(f'AD({a})' for a in tied if a != pub)}: "
                "a tie does not single it out"
                if pub in tied
                else f"AD({best}) detects it best ({acc[best]:.3f} vs AD({pub}) {acc[pub]:.3f})"
            )
        )
        rows.append(
            row(
                attack,
                quantity,
                pub,
                best,
                HOLDS if holds else FAILS,
                why,
                bound=f"AD({pub}) alone the best",
                keys=keys,
            )
        )
        rows[-1]["labels"] = {"published": f"AD({pub})", "reproduced": f"AD({best})"}
    for kind, depth in item["types"].items():
        if kind not in seen:
            rows.append(
                not_run(
                    kind,
                    "best attachment depth",
                    f"no {kind} attack in {det}'s depth sweep",
                    depth,
                    {"detector": det},
                )
            )
    return rows


@KINDS.register("adaptive")
def adaptive(item, tables, ctx) -> list[dict]:
    """Per detector and version: the worst detectability over sigma (while f is fooled)."""
    frame = tables.get("adaptive")
    version = item["version"]
    if frame is None:
        return [
            not_run("all", f"min detectability ({version})", _absent("adaptive"), item["value"])
        ]
    rows = []
    suffix = "_fooled" if item.get("while_fooled") else ""
    for _, r in frame[frame["version"] == version].iterrows():
        keys = {"detector": r["detector"], "attack": r["attack"], "eps": r["eps"]}
        where = f"{r['attack']} eps {r['eps']}"
        value = r["detectability_min" + suffix]
        below = f" with f accuracy < {r['threshold']:g}" if suffix else ""
        quantity = f"{r['detector']} ({version}): min detectability over sigma{below}"
        if pd.isna(value):
            why = (
                f"no sigma brought f below {r['threshold']:g}"
                if suffix
                else "no adversarial was kept"
            )
            rows.append(not_run(where, quantity, why, item["value"], keys))
            continue
        detail = (
            f"at sigma {r['sigma_at_min' + suffix]:g}, f accuracy "
            f"{r['accuracy_adv_at_min' + suffix]:.2f}, {int(r['n_kept_at_min' + suffix])} kept"
        )
        rows.append(
            claim(
                where,
                quantity,
                item["value"],
                float(value),
                item["check"],
                item.get("margin", 0.0),
                keys,
                detail,
            )
        )
    if not rows:
        rows.append(
            not_run("all", f"min detectability ({version})", f"no {version} rows", item["value"])
        )
    return rows


# a claim's quantifier over attacks: the share of them that must agree, and whether exactly
# that share is enough ("most" is more than half: exactly half is not most)
QUANTIFIERS = {"most": (0.5, "above"), "all": (1.0, "at_least")}


@KINDS.register("versus")
def versus(item, tables, ctx) -> list[dict]:
    """Detector a not behind b (within the margin) on the paper's quantifier of the attacks
    both are tested on ("most": more than half); the share and the mean difference are shown."""
    frame = tables.get(item["table"])
    a, b, col = item["a"], item["b"], item["column"]
    margin = item.get("margin", 0.0)
    word = item.get("quantifier", "most")
    share, op = QUANTIFIERS[word]
    keys = {"detector": a, "detectors": (a, b)}
    quantity = f"share of attacks with {a} ≥ {b} - {margin:g} ({col}; {word})"
    if frame is None:
        return [not_run("all", quantity, _absent(item["table"]), share, keys)]
    lacking = _lacking(frame, item["table"], col, "detector")
    if lacking:
        return [not_run("all", quantity, lacking, share, keys)]
    if "attack_fit" in frame:  # fit x test cells: the diagonal
        frame = frame[
            (frame["attack_fit"] == frame["attack_test"]) & (frame["eps_fit"] == frame["eps_test"])
        ].rename(columns={"attack_fit": "attack"})
    names = set(ctx.setting["detectors"])
    absent = [d for d in (a, b) if d not in names and not (frame["detector"] == d).any()]
    if absent:
        why = f"no detector {' or '.join(absent)} in this run"
        return [not_run("all", quantity, why, share, keys)]
    pa = frame[frame["detector"] == a].set_index("attack")[col]
    pb = frame[frame["detector"] == b].set_index("attack")[col]
    both = [x for x in pa.index if x in pb.index]
    if not both:
        return [not_run("all", quantity, f"no attack has both {a} and {b}", share, keys)]
    wins = [x for x in both if pa[x] >= pb[x] - margin]
    behind = ", ".join(f"{x} ({pb[x] - pa[x]:+.2f})" for x in both if x not in wins)
    mean = float((pa[both] - pb[both]).mean())
    detail = (
        f"{len(wins)} of {len(both)} ({len(wins) / len(both):.0%}); mean {a} - {b} {mean:+.3f}"
        + (f"; {b} ahead on {behind}" if behind else "")
    )
    return [claim("all", quantity, share, len(wins) / len(both), op, keys=keys, detail=detail)]


@KINDS.register("layer_order")
def layer_order(item, tables, ctx) -> list[dict]:
    """Per attack: the Grad-CAM correlation of clean and adversarial maps at the first role
    minus at the last; positive holds."""
    frame = tables.get("layer_study")
    quantity = "correlation at the first role minus the last"
    if frame is None:
        return [not_run("all", quantity, _absent("layer_study"), 0.0)]
    rows = []
    for attack, grp in frame[frame["attack"] != "different images"].groupby("attack", sort=False):
        corr = grp.set_index("role")["correlation"]
        roles = [r for r in item["roles"] if r in corr.index]
        keys = {"attack": attack, "eps": grp["eps"].iloc[0]}
        where = f"{attack} eps {grp['eps'].iloc[0]}"
        if len(roles) < 2:
            rows.append(
                not_run(where, quantity, "fewer than two of the roles in the study", 0.0, keys)
            )
            continue
        trail = ", ".join(f"{r} {corr[r]:.2f}" for r in roles)
        value = float(corr[roles[0]] - corr[roles[-1]])
        rows.append(
            claim(
                where, f"{quantity} ({trail})", 0.0, value, "above", item.get("margin", 0.0), keys
            )
        )
    return rows or [not_run("all", quantity, "no attack in the layer study", 0.0)]


def _means_by(frame: pd.DataFrame, key: str, names, col: str):
    """Mean of ``col`` per name of ``key`` (type or attack); the names absent from the run."""
    vals = {n: frame.loc[frame[key] == n, col].mean() for n in names}
    return {n: v for n, v in vals.items() if not pd.isna(v)}, [n for n in names if pd.isna(vals[n])]


@KINDS.register("order")
def order(item, tables, ctx) -> list[dict]:
    """Each chain of groups in decreasing order of a column: every member of a group ahead of
    every member of the next by more than two standard errors (a tie is not an ordering)."""
    frame = tables.get(item["table"])
    keys = _item_keys(item, ctx)
    rows = []
    for chain in item["chains"]:
        label = " > ".join("/".join(g) for g in chain)
        quantity = f"smallest gap between consecutive groups ({item['column']})"
        if frame is None:
            rows.append(not_run(label, quantity, _absent(item["table"]), 0.0, keys))
            continue
        lacking = _lacking(frame, item["table"], item["column"], item["key"])
        if lacking:
            rows.append(not_run(label, quantity, lacking, 0.0, keys))
            continue
        sub = _rule_met(select(frame, item.get("where")))
        vals, missing = _means_by(sub, item["key"], [n for g in chain for n in g], item["column"])
        if missing:
            rows.append(
                not_run(label, quantity, f"not in this run: {', '.join(missing)}", 0.0, keys)
            )
            continue
        n = ctx.pair_images
        pairs = [
            (min(hi, key=vals.get), max(lo, key=vals.get))
            for hi, lo in zip(chain, chain[1:], strict=False)
        ]
        gaps = [(vals[h] - vals[lo], two_se(vals[h], n, vals[lo], n), h, lo) for h, lo in pairs]
        gap, band, h, lo = min(gaps, key=lambda g: g[0] - g[1])
        detail = "; ".join(", ".join(f"{m} {vals[m]:.3f}" for m in g) for g in chain)
        detail += f"; closest: {h} - {lo}"
        rows.append(gap_claim(label, quantity, gap, band, keys, detail, item.get("margin", 0.0)))
    return rows


def _rule_met(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows read at a budget the 30% rule reached (the others are not the paper's)."""
    if "threshold_met" not in frame:
        return frame
    return frame[~frame["threshold_met"].map(_false)]


def _instance(frame: pd.DataFrame, key: str, name: str, col: str = "attack"):
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


@KINDS.register("eps_transfer")
def eps_transfer(item, tables, ctx) -> list[dict]:
    """Per attack: fitted at the smallest budget and tested at the largest, minus fitted at the
    largest and tested at the smallest (positive holds); optionally the smallest-budget fit's
    worst budget against a floor."""
    frame = tables.get("eps_matrix")
    det = item["detector"]
    rows = []
    for name in item["attacks"]:
        keys = {"detector": det}
        quantity = "fit smallest x test largest minus fit largest x test smallest"
        if frame is None:
            rows.append(not_run(name, quantity, _absent("eps_matrix"), 0.0, keys))
            continue
        sub = frame[frame["detector"] == det]
        attack, why = _instance(sub, item.get("key", "attack"), name)
        if attack is None:
            rows.append(not_run(name, quantity, why, 0.0, keys))
            continue
        sub = sub[sub["attack"] == attack]
        keys["attack"] = attack
        fits, tests = _eps_sorted(sub["eps_fit"]), _eps_sorted(sub["eps_test"])
        if len(fits) < 2:
            rows.append(not_run(attack, quantity, f"{attack} has one budget", 0.0, keys))
            continue
        acc = sub.set_index(["eps_fit", "eps_test"])["accuracy"]
        small, large = fits[0], fits[-1]
        a, b = acc.get((small, tests[-1])), acc.get((large, tests[0]))
        if _missing(a) or _missing(b):
            rows.append(not_run(attack, quantity, "a corner of the matrix is missing", 0.0, keys))
            continue
        detail = (
            f"fit {float(small):.4g} x test {float(tests[-1]):.4g}: {a:.3f}; "
            f"fit {float(large):.4g} x test {float(tests[0]):.4g}: {b:.3f}"
        )
        n = images(sub.iloc[0], ctx.pair_images)
        band = two_se(a, n, b, n)
        rows.append(gap_claim(attack, quantity, a - b, band, keys, detail, item.get("margin", 0.0)))
        if "floor" in item:
            column = sub[sub["eps_fit"] == small]
            worst = column.loc[column["accuracy"].idxmin()]
            rows.append(
                claim(
                    attack,
                    f"fit {float(small):.4g}: worst accuracy over every test budget",
                    item["floor"],
                    float(worst["accuracy"]),
                    "at_least",
                    0.0,
                    keys,
                    f"at test {float(worst['eps_test']):.4g}",
                )
            )
    return rows


LEVELS = ("at_least", "below")  # attack_transfer modes judged against a level


@KINDS.register("attack_transfer")
def attack_transfer(item, tables, ctx) -> list[dict]:
    """Cross-attack cells at the chosen budgets: fitted to ``from`` and tested on ``to``, at
    least a level (generalises), below it (does not), or above the other way round."""
    frame = tables.get("cross_attack")
    det, key, mode = item["detector"], item.get("key", "attack"), item["mode"]
    sub = None if frame is None else frame[frame["detector"] == det]
    rows = []
    for src, dst in item["pairs"]:
        label = f"fit {src} → test {dst}"
        level = mode in LEVELS
        quantity = "accuracy" if level else f"accuracy minus fit {dst} → test {src}"
        published = item.get("value", 0.0) if level else 0.0
        keys = {"detector": det}
        if sub is None:
            rows.append(not_run(label, quantity, _absent("cross_attack"), published, keys))
            continue
        fit, why = _instance(sub, key, src, "attack_fit")
        test, why2 = _instance(sub, key, dst, "attack_test")
        if fit is None or test is None:
            rows.append(not_run(label, quantity, why or why2, published, keys))
            continue
        keys["attack"] = fit
        cells_of = sub[sub["attack_fit"].isin([fit, test]) & sub["attack_test"].isin([fit, test])]
        unmet = next((u for _, c in cells_of.iterrows() if (u := _rule_unmet(c))), "")
        if unmet:
            rows.append(not_run(label, quantity, unmet, published, keys))
            continue
        acc = sub.set_index(["attack_fit", "attack_test"])["accuracy"]
        a = acc.get((fit, test))
        if level:  # generalises (at least the level) or does not (below it)
            rows.append(claim(label, quantity, published, a, mode, item.get("margin", 0.0), keys))
            continue
        b = acc.get((test, fit))
        if _missing(a) or _missing(b):
            rows.append(not_run(label, quantity, "a cell of the pair is missing", 0.0, keys))
            continue
        n = images(sub.iloc[0], ctx.pair_images)
        band = two_se(a, n, b, n)
        detail = f"{a:.3f} vs {b:.3f}"
        rows.append(gap_claim(label, quantity, a - b, band, keys, detail, item.get("margin", 0.0)))
    return rows


@KINDS.register("ranking")
def ranking(item, tables, ctx) -> list[dict]:
    """The mean of a column per group: the subject's ahead of every other group's (the highest,
    or the lowest) by more than two standard errors (a tie is not a ranking)."""
    frame = tables.get(item["table"])
    subject, group, col = item["subject"], item["group"], item["column"]
    keys = {"detector": subject} if group == "detector" else _item_keys(item, ctx)
    highest = item["direction"] == "highest"
    quantity = f"mean {col} of {subject} minus the {'best' if highest else 'lowest'} other"
    if frame is None:
        return [not_run(subject, quantity, _absent(item["table"]), 0.0, keys)]
    lacking = _lacking(frame, item["table"], col, group)
    if lacking:
        return [not_run(subject, quantity, lacking, 0.0, keys)]
    sub = select(frame, item.get("where"))
    if item.get("off_diagonal"):
        sub = sub[sub["attack_fit"] != sub["attack_test"]]
    means = sub.groupby(group)[col].mean()
    others = [g for g in (item.get("others") or means.index) if g != subject]
    missing = [g for g in [subject, *others] if g not in means.index]
    if missing:
        return [
            not_run(
                subject, quantity, f"not in this run: {', '.join(map(str, missing))}", 0.0, keys
            )
        ]
    if "detector" in sub:
        keys = {**keys, "detectors": tuple(dict.fromkeys(sub["detector"]))}
    rival = means[others].idxmax() if highest else means[others].idxmin()
    value = means[subject] - means[rival] if highest else means[rival] - means[subject]
    n = images(sub.iloc[0], ctx.pair_images) if len(sub) else None
    band = two_se(means[subject], n, means[rival], n)
    detail = ", ".join(f"{g} {means[g]:.3f}" for g in [subject, *others])
    return [gap_claim(subject, quantity, float(value), band, keys, detail, item.get("margin", 0.0))]
