"""Claims judged against a level: the min or max of a column (:func:`bound`), the adaptive
adversary's worst detectability, the layer study's order, transfer across budgets and across
attacks (at least a level, below it, or ahead of the other way round)."""

from __future__ import annotations

import pandas as pd

from advsal.paper.bands import images_for, two_se
from advsal.paper.kinds.common import (
    absent,
    eps_sorted,
    instance,
    item_keys,
    missing_columns,
    rule_unmet,
    with_classifier,
)
from advsal.paper.verdicts import KINDS, claim, describe, gap_claim, missing, not_run, select


# -- claims ------------------------------------------------------------------------------------
@KINDS.register("bound")
def bound(item, tables, ctx) -> list[dict]:
    """The min (or max) of a column over the qualifying rows against a published threshold."""
    frame = tables.get(item["table"])
    keys = item_keys(item, ctx)
    stat, col = item["stat"], item["column"]
    quantity = f"{stat} {col}"
    if frame is None:
        return [not_run("all", quantity, absent(item["table"]), item["value"], keys)]
    where = with_classifier(item, frame, ctx)
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
    lacking = missing_columns(frame, item["table"], col, *(item.get("below") or {}))
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


@KINDS.register("adaptive")
def adaptive(item, tables, ctx) -> list[dict]:
    """Per detector and version: the worst detectability over sigma (while f is fooled)."""
    frame = tables.get("adaptive")
    version = item["version"]
    if frame is None:
        return [not_run("all", f"min detectability ({version})", absent("adaptive"), item["value"])]
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
        got = claim(
            where,
            quantity,
            item["value"],
            float(value),
            item["check"],
            item.get("margin", 0.0),
            keys,
            detail,
        )
        # nothing for the adversary to bring down where the detector is at chance before it
        start, floor = (
            r.get("detectability_sigma0", float("nan")),
            0.5 + ctx.detection["youden"] / 2,
        )
        if not pd.isna(start) and start <= floor + 1e-9:
            got["uninformative"] = (
                f"uninformative: at sigma 0 the detector scores {start:.3f}, at most {floor:g} "
                "(chance plus half the degeneracy bound): no detection for the adversary to undo"
            )
        rows.append(got)
    if not rows:
        rows.append(
            not_run("all", f"min detectability ({version})", f"no {version} rows", item["value"])
        )
    return rows


@KINDS.register("layer_order")
def layer_order(item, tables, ctx) -> list[dict]:
    """Per attack: the Grad-CAM correlation of clean and adversarial maps at the first role
    minus at the last; positive holds."""
    frame = tables.get("layer_study")
    quantity = "correlation at the first role minus the last"
    if frame is None:
        return [not_run("all", quantity, absent("layer_study"), 0.0)]
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
            rows.append(not_run(name, quantity, absent("eps_matrix"), 0.0, keys))
            continue
        sub = frame[frame["detector"] == det]
        attack, why = instance(sub, item.get("key", "attack"), name)
        if attack is None:
            rows.append(not_run(name, quantity, why, 0.0, keys))
            continue
        sub = sub[sub["attack"] == attack]
        keys["attack"] = attack
        fits, tests = eps_sorted(sub["eps_fit"]), eps_sorted(sub["eps_test"])
        if len(fits) < 2:
            rows.append(not_run(attack, quantity, f"{attack} has one budget", 0.0, keys))
            continue
        acc = sub.set_index(["eps_fit", "eps_test"])["accuracy"]
        small, large = fits[0], fits[-1]
        a, b = acc.get((small, tests[-1])), acc.get((large, tests[0]))
        if missing(a) or missing(b):
            rows.append(not_run(attack, quantity, "a corner of the matrix is missing", 0.0, keys))
            continue
        detail = (
            f"fit {float(small):.4g} x test {float(tests[-1]):.4g}: {a:.3f}; "
            f"fit {float(large):.4g} x test {float(tests[0]):.4g}: {b:.3f}"
        )
        n = images_for(sub.iloc[0], "accuracy", None, ctx.pair_images)
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
            rows.append(not_run(label, quantity, absent("cross_attack"), published, keys))
            continue
        fit, why = instance(sub, key, src, "attack_fit")
        test, why2 = instance(sub, key, dst, "attack_test")
        if fit is None or test is None:
            rows.append(not_run(label, quantity, why or why2, published, keys))
            continue
        keys["attack"] = fit
        cells_of = sub[sub["attack_fit"].isin([fit, test]) & sub["attack_test"].isin([fit, test])]
        unmet = next((u for _, c in cells_of.iterrows() if (u := rule_unmet(c))), "")
        if unmet:
            rows.append(not_run(label, quantity, unmet, published, keys))
            continue
        acc = sub.set_index(["attack_fit", "attack_test"])["accuracy"]
        a = acc.get((fit, test))
        if level:  # generalises (at least the level) or does not (below it)
            rows.append(claim(label, quantity, published, a, mode, item.get("margin", 0.0), keys))
            continue
        b = acc.get((test, fit))
        if missing(a) or missing(b):
            rows.append(not_run(label, quantity, "a cell of the pair is missing", 0.0, keys))
            continue
        n = images_for(sub.iloc[0], "accuracy", None, ctx.pair_images)
        band = two_se(a, n, b, n)
        detail = f"{a:.3f} vs {b:.3f}"
        rows.append(gap_claim(label, quantity, a - b, band, keys, detail, item.get("margin", 0.0)))
    return rows
