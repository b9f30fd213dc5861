"""Published cells, one by one: a table's cells (:func:`cells`, a detector's rates judged
together), a detector's eps_test x eps_fit matrix and its cross-attack matrix."""

from __future__ import annotations

import pandas as pd

from advsal.paper.bands import band, images_for
from advsal.paper.detection import (
    DETECTOR_TABLES,
    uninformative_pair,
    uninformative_rate,
    uninformative_score,
)
from advsal.paper.kinds.common import (
    absent,
    eps_sorted,
    item_keys,
    match_of,
    row_keys,
    rule_unmet,
    with_classifier,
)
from advsal.paper.verdicts import (
    CALIBRATED,
    FAILS,
    HOLDS,
    KINDS,
    NOT_COMPARABLE,
    NOT_RUN,
    describe,
    join,
    judge,
    not_run,
    row,
    select,
)


# -- published cells ---------------------------------------------------------------------------
@KINDS.register("cells")
def cells(item, tables, ctx) -> list[dict]:
    """Each entry's ``match`` picks one row of the table; every other key is a column and its
    published value. A detector's rates are judged together (:func:`_rates_together`); a row
    read at a budget the 30% rule did not reach is not run."""
    frame = tables.get(item["table"])
    extra = item_keys(item, ctx)
    where = None if frame is None else with_classifier(item, frame, ctx)
    base = None if where is None else select(frame, where)
    once = set(item.get("once") or ())
    calibrated = item.get("calibrated") or {}
    rows = []
    for entry in item["cells"]:
        match = entry["match"]
        sub = None if base is None else select(base, match)
        keys = extra if sub is None else row_keys(sub, extra)
        unmet = "" if sub is None or len(sub) != 1 else rule_unmet(sub.iloc[0])
        mine = []
        for col, pub in entry.items():
            if col in ("match", "tolerance", "paper_std"):
                continue
            label = describe(match)
            if frame is None:
                mine.append(not_run(label, col, absent(item["table"]), pub, keys, True))
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


def calibrate(got: dict, reason: str) -> dict:
    """A cell the run was tuned to hit: shown, out of the counts and the mean."""
    if got["verdict"] in (HOLDS, FAILS):
        outcome = "hold" if got["verdict"] == HOLDS else "fail"
        got["verdict"] = CALIBRATED
        got["reason"] = f"calibrated: {reason}; it would {outcome}"
    return got


def _rates_together(item, rows: list[dict], found, ctx) -> None:
    """A detector's detection rate and its false alarms are one result: where an entry
    publishes both (Zhang's d_adv and d_clean, Nguyen's tp and tn) each holds only where both
    do; a detection rate published alone holds only where the run's false alarms are at most
    the reference's bound."""
    rates = DETECTOR_TABLES.get(item["table"])
    if rates is None:
        return
    by_col = {r["quantity"]: r for r in rows}
    for col in (*rates.balanced, *rates.auc):  # a score chance also gets cannot tell
        if col in by_col:
            by_col[col]["uninformative"] = uninformative_score(by_col[col])
    if not rates.adv:
        return
    adv, clean = by_col.get(rates.adv), by_col.get(rates.clean)
    if adv is not None and clean is not None:
        why = uninformative_pair(adv, clean, rates.clean_passed)
        adv["uninformative"] = clean["uninformative"] = why
        judged = [r for r in (adv, clean) if r["verdict"] in (HOLDS, FAILS)]
        failed = [r["quantity"] for r in judged if r["verdict"] == FAILS]
        if len(judged) == 2 and failed:
            for r in judged:
                if r["verdict"] == HOLDS:
                    r["verdict"], r["side"] = FAILS, f"with {failed[0]}"
                    r["reason"] = join(
                        r["reason"], f"judged with {failed[0]}, which fails: one detector's pair"
                    )
        return
    if adv is None:
        return
    bound = ctx.detection["false_alarms"]
    adv["uninformative"] = uninformative_rate(adv, bound)
    if adv["verdict"] != HOLDS:
        return
    alarms = rates.false_alarms(found)
    if alarms is None:
        adv["verdict"] = NOT_RUN
        adv["reason"] = join(adv["reason"], "no false-alarm rate to judge the detection rate with")
    elif alarms > bound + 1e-9:
        adv["verdict"], adv["side"] = FAILS, "false alarms"
        adv["reason"] = join(
            adv["reason"],
            f"degenerate: it flags {alarms:.2f} of the clean images (bound {bound:g})",
        )
    else:
        adv["reason"] = join(adv["reason"], f"false alarms {alarms:.2f} (bound {bound:g})")


def _count_once(rows: list[dict], once: set[str]) -> None:
    """A column that is one measurement across entries (f's clean accuracy in every row of
    Zhang's Table 1) counts once: its later rows are shown, out of the counts."""
    seen = set()
    for r in rows:
        if r["quantity"] in once and r["verdict"] in (HOLDS, FAILS):
            if r["quantity"] in seen:
                r["repeat"] = True
                r["reason"] = join(r["reason"], "the same measurement as above: counted once")
            seen.add(r["quantity"])


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
        fits = [] if sub is None else eps_sorted(sub["eps_fit"])
        tests = [] if sub is None else eps_sorted(sub["eps_test"])
        shape = (len(grid), len(grid[0]))
        for i, published_row in enumerate(grid):
            for j, pub in enumerate(published_row):
                cell = f"test #{i + 1} x fit #{j + 1}"
                if sub is None or not len(sub):
                    why = absent("eps_matrix") if frame is None else f"no {det} cells for {attack}"
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
                got = judge(
                    attack,
                    label,
                    pub,
                    rep,
                    item.get("tolerance"),
                    keys={**keys, "eps": fits[j]},
                    width=width,
                )
                if tests[i] == fits[j]:  # its own fit (off it: the fit's gate, .compare)
                    got["uninformative"] = uninformative_score(got)
                rows.append(got)
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
                    absent("cross_attack")
                    if frame is None
                    else f"no {det} cell fitted to {fit}, tested on {test}"
                )
                rows.append(not_run(test, label, why, pub, keys, True))
            elif rule_unmet(hit.iloc[0]):
                rows.append(not_run(test, label, rule_unmet(hit.iloc[0]), pub, keys, True))
            else:
                got = judge(
                    test,
                    label,
                    pub,
                    float(hit["accuracy"].iloc[0]),
                    item.get("tolerance"),
                    keys=keys,
                    width=_width(item, pub, hit.iloc[0], "accuracy", ctx),
                )
                if fit == test:  # its own fit (off it: the fit's gate, .compare)
                    got["uninformative"] = uninformative_score(got)
                rows.append(got)
    return rows
