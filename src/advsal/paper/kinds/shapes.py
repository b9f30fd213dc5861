"""Claims about a shape rather than a value: published cells whose units the paper does not
state, compared by their rank order (:func:`pattern`), and a detector's threshold behaviour,
its detection rate against the attacks' perturbation sizes (:func:`threshold`)."""

from __future__ import annotations

import pandas as pd

from advsal.paper.bands import band, two_se
from advsal.paper.kinds.common import absent, missing_columns, row_keys, with_classifier
from advsal.paper.verdicts import (
    FAILS,
    HOLDS,
    KINDS,
    Bound,
    claim,
    describe,
    gap_claim,
    join,
    not_run,
    row,
    select,
    token,
)


@KINDS.register("pattern")
def pattern(item, tables, ctx) -> list[dict]:
    """The run's cells against the published ones by rank (Spearman's rho, ties averaged):
    holds when rho is at least ``min_rho``. For cells printed in units the paper does not state,
    where no value can be compared but their order can."""
    from scipy.stats import spearmanr

    frame = tables.get(item["table"])
    col = item["column"]
    quantity = f"rank correlation of {col} with the published cells"
    floor = item["min_rho"]
    if frame is None:
        return [not_run("all", quantity, absent(item["table"]), floor)]
    lacking = missing_columns(frame, item["table"], col)
    if lacking:
        return [not_run("all", quantity, lacking, floor)]
    base = select(frame, item.get("where"))
    ours, theirs, gone, found = [], [], [], []
    for entry in item["cells"]:
        sub = select(base, entry["match"])
        if len(sub) != 1 or pd.isna(sub[col].iloc[0]):
            why = "NaN" if len(sub) == 1 else f"{len(sub)} rows" if len(sub) else ""
            gone.append(describe(entry["match"]) + (f" ({why})" if why else ""))
            continue
        ours.append(float(sub[col].iloc[0]))
        theirs.append(entry["value"])
        found.append(sub)
    keys = row_keys(pd.concat(found), {}) if found else {}
    if len(ours) < 3:
        why = f"{len(ours)} of the {len(item['cells'])} cells are in this run (three are needed)"
        return [not_run("all", quantity, join(why, f"missing: {'; '.join(gone)}"), floor, keys)]
    rho, p = spearmanr(ours, theirs, alternative="greater")
    detail = f"{len(ours)} cells, one-sided p {p:.3g}" + (
        f"; not in this run: {'; '.join(gone)}" if gone else ""
    )
    return [claim("all", quantity, floor, float(rho), "at_least", keys=keys, detail=detail)]


def _sizes(item, tables, ctx):
    """Per attack instance: its perturbation sizes on the detector's classifier (test split)."""
    frame = tables.get("attack_summary")
    if frame is None:
        return None, absent("attack_summary")
    where = with_classifier({**item, "classifier_of": item["detector"]}, frame, ctx)
    if where is None:
        return None, f"no detector {item['detector']!r} in this run"
    lacking = missing_columns(frame, "attack_summary", *item["sizes"])
    if lacking:
        return None, lacking
    sub = select(frame, {"split": "test", **where}) if "split" in frame else select(frame, where)
    sub = sub.set_index(pd.Index(_budget(sub, "attack", "eps")))
    return sub[~sub.index.duplicated()], ""


def _budget(frame: pd.DataFrame, attack: str, eps: str) -> list[str]:
    """Each row's attack instance at its budget ("bim @ 0.15"; "cw" where it has none)."""

    def eps_of(e) -> str:
        try:
            return token(eps, float(e))
        except (TypeError, ValueError):
            return ""

    return [
        f"{a} @ {eps_of(e)}" if eps_of(e) not in ("", "nan") else a
        for a, e in zip(frame[attack], frame[eps], strict=True)
    ]


def _own_fits(frame: pd.DataFrame, det: str) -> pd.DataFrame:
    """A detector's fit_test rows on what it was fitted to, one per fit, indexed by budget."""
    own = frame[
        (frame["detector"] == det)
        & (frame["attack_fit"] == frame["attack_test"])
        & (frame["eps_fit"].astype(str) == frame["eps_test"].astype(str))
    ]
    own = own.set_index(pd.Index(_budget(own, "attack_fit", "eps_fit")))
    return own[~own.index.duplicated()]  # one row per fit (an agnostic detector's repeats)


def _above(item, own, above, ctx, trail: str, question: str, keys: dict) -> dict:
    """The lowest detection rate over the attacks above the threshold, within the published
    band, with false alarms within the reference's bound on each of them."""
    rate = item["value"]
    worst = min(above, key=lambda a: own.loc[a, "tpr"])
    found = own.loc[worst]
    lo, hi = band(rate, found["n_adv"], item["band"])
    got = float(found["tpr"])
    alarms = {a: float(own.loc[a, "fpr"]) for a in above}
    bound = ctx.detection["false_alarms"]
    noisy = [f"{a} {v:.2f}" for a, v in alarms.items() if v > bound + 1e-9]
    ok = lo - 1e-9 <= got <= hi + 1e-9 and not noisy
    reason = join(
        trail,
        f"false alarms above the bound {bound:g}: {', '.join(noisy)}" if noisy else "",
    )
    return row(
        worst,
        question,
        rate,
        got,
        HOLDS if ok else FAILS,
        reason,
        bound=Bound(f"[{lo:.3f}, {hi:.3f}]", lo, hi),
        keys={**keys, "attack": worst},
    )


@KINDS.register("threshold")
def threshold(item, tables, ctx) -> list[dict]:
    """A detector's threshold behaviour, tested on what it was fitted to: every attack whose
    perturbation is above any of ``sizes`` detected at the published rate (with false alarms
    within the reference's bound), and each attack below them detected less than every one
    above (by more than two standard errors)."""
    det, rate = item["detector"], item["value"]
    keys = {"detector": det}
    above_q = "lowest detection rate over the attacks above the threshold"
    below_q = "lowest detection rate above the threshold minus the highest below it"
    frame = tables.get("fit_test")
    sizes, why = _sizes(item, tables, ctx)
    if frame is None or sizes is None:
        why = why or absent("fit_test")
        return [not_run("all", above_q, why, rate, keys), not_run("all", below_q, why, 0.0, keys)]
    own = _own_fits(frame, det)
    attacks = [a for a in own.index if a in sizes.index]
    if not attacks:
        why = f"no attack of {det}'s fits has its sizes in the attack summary"
        return [not_run("all", above_q, why, rate, keys), not_run("all", below_q, why, 0.0, keys)]

    def big(a):
        return any(float(sizes.loc[a, c]) > limit for c, limit in item["sizes"].items())

    def size_of(a):
        return ", ".join(f"{c} {float(sizes.loc[a, c]):.3g}" for c in item["sizes"])

    above = [a for a in attacks if big(a)]
    below = [a for a in attacks if not big(a)]
    limits = " or ".join(f"{c} > {v:g}" for c, v in item["sizes"].items())
    rows = []
    if not above:
        rows.append(not_run("all", above_q, f"no attack of this run has {limits}", rate, keys))
    else:
        trail = "; ".join(f"{a} ({size_of(a)}): {own.loc[a, 'tpr']:.3f}" for a in above)
        rows.append(_above(item, own, above, ctx, f"{limits}: {trail}", above_q, keys))
    if not above or not below:
        side = "below" if above else "above"
        rows.append(not_run("all", below_q, f"no attack of this run is {side} it", 0.0, keys))
    else:
        low = min(above, key=lambda a: own.loc[a, "tpr"])
        high = max(below, key=lambda a: own.loc[a, "tpr"])
        a, b = float(own.loc[low, "tpr"]), float(own.loc[high, "tpr"])
        gap = two_se(a, own.loc[low, "n_adv"], b, own.loc[high, "n_adv"])
        detail = f"{low} ({size_of(low)}) {a:.3f}; {high} ({size_of(high)}) {b:.3f}"
        rows.append(gap_claim(f"{low} vs {high}", below_q, a - b, gap, keys, detail))
    return rows
