"""Claims about an order: the best attachment depth, one detector against another on most
attacks, attacks in decreasing order of a column, one group ahead of every other."""

from __future__ import annotations

from advsal.paper.bands import images_for, two_se
from advsal.paper.kinds.common import absent, item_keys, means_by, missing_columns, rule_met
from advsal.paper.verdicts import FAILS, HOLDS, KINDS, claim, gap_claim, not_run, row, select


def _depth_row(attack: str, grp, pub: int, det: str) -> dict:
    """One attack's sweep: the paper's depth ``pub`` alone within two standard errors of the
    best accuracy holds; tied with another, or beaten, fails."""
    keys = {"detector": det, "attack": attack}
    acc = grp.set_index("ad")["accuracy"].astype(float)
    n = images_for(grp.iloc[0], "accuracy", None, None)
    best = int(acc.idxmax())
    tied = [
        int(a) for a in acc.index if acc[best] - acc[a] <= two_se(acc[best], n, acc[a], n) + 1e-12
    ]
    ties = ", ".join(f"AD({a})" for a in tied)
    quantity = f"best attachment depth (accuracy {acc[best]:.3f}; within two SE: {ties})"
    if pub not in acc.index:
        return not_run(attack, quantity, f"AD({pub}) is not in the sweep", pub, keys)
    holds = tied == [pub]
    if holds:
        why = ""
    elif pub in tied:
        others = ", ".join(f"AD({a})" for a in tied if a != pub)
        why = f"AD({pub}) is tied with {others}: a tie does not single it out"
    else:
        why = f"AD({best}) detects it best ({acc[best]:.3f} vs AD({pub}) {acc[pub]:.3f})"
    out = row(
        attack,
        quantity,
        pub,
        best,
        HOLDS if holds else FAILS,
        why,
        bound=f"AD({pub}) alone the best",
        keys=keys,
    )
    out["labels"] = {"published": f"AD({pub})", "reproduced": f"AD({best})"}
    return out


@KINDS.register("best_depth")
def best_depth(item, tables, ctx) -> list[dict]:
    """Per attack: the paper's depth must detect it best, ahead of every other depth by more
    than two standard errors of the difference (depths within that band are tied, and a tie
    does not single out the paper's depth)."""
    frame = tables.get("depth_sweep")
    det = item["detector"]
    if frame is None:
        return [
            not_run(t, "best attachment depth", absent("depth_sweep"), d, {"detector": det})
            for t, d in item["types"].items()
        ]
    rows = []
    sub = frame[frame["detector"] == det]
    seen = set()
    for attack, grp in sub.groupby("attack", sort=False):
        kind = grp["type"].iloc[0]
        if kind in item["types"]:
            seen.add(kind)
            rows.append(_depth_row(attack, grp, item["types"][kind], det))
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
        return [not_run("all", quantity, absent(item["table"]), share, keys)]
    lacking = missing_columns(frame, item["table"], col, "detector")
    if lacking:
        return [not_run("all", quantity, lacking, share, keys)]
    if "attack_fit" in frame:  # fit x test cells: the diagonal
        frame = frame[
            (frame["attack_fit"] == frame["attack_test"]) & (frame["eps_fit"] == frame["eps_test"])
        ].rename(columns={"attack_fit": "attack"})
    names = set(ctx.setting["detectors"])
    gone = [d for d in (a, b) if d not in names and not (frame["detector"] == d).any()]
    if gone:
        why = f"no detector {' or '.join(gone)} in this run"
        return [not_run("all", quantity, why, share, keys)]
    pa = frame[frame["detector"] == a].set_index("attack")[col]
    pb = frame[frame["detector"] == b].set_index("attack")[col]
    both = [x for x in pa.index if x in pb.index]
    if not both:
        return [not_run("all", quantity, f"no attack has both {a} and {b}", share, keys)]
    n = ctx.pair_images
    if not n:  # a zero band would call any two equal numbers level
        why = "the run's test-image count is unknown: no band to tell a tie from a difference"
        return [not_run("all", quantity, why, share, keys)]
    # an attack where both sit at the ceiling (or both at chance) within two standard errors
    # cannot show either ahead: a tie there is no evidence for the claim, so it is not a win
    pinned = [
        x
        for x in both
        if any(
            abs(pa[x] - level) <= two_se(pa[x], n, level, n)
            and abs(pb[x] - level) <= two_se(pb[x], n, level, n)
            for level in (1.0, 0.5)
        )
    ]
    wins = [x for x in both if x not in pinned and pa[x] >= pb[x] - margin]
    behind = ", ".join(
        f"{x} ({pb[x] - pa[x]:+.2f})" for x in both if x not in wins and x not in pinned
    )
    mean = float((pa[both] - pb[both]).mean())
    detail = (
        f"{len(wins)} of {len(both)} ({len(wins) / len(both):.0%}); mean {a} - {b} {mean:+.3f}"
        + (f"; {b} ahead on {behind}" if behind else "")
        + (f"; not a win, both at the ceiling or at chance: {', '.join(pinned)}" if pinned else "")
    )
    return [claim("all", quantity, share, len(wins) / len(both), op, keys=keys, detail=detail)]


@KINDS.register("order")
def order(item, tables, ctx) -> list[dict]:
    """Each chain of groups in decreasing order of a column: every member of a group ahead of
    every member of the next by more than two standard errors (a tie is not an ordering)."""
    frame = tables.get(item["table"])
    keys = item_keys(item, ctx)
    rows = []
    for chain in item["chains"]:
        label = " > ".join("/".join(g) for g in chain)
        quantity = f"smallest gap between consecutive groups ({item['column']})"
        if frame is None:
            rows.append(not_run(label, quantity, absent(item["table"]), 0.0, keys))
            continue
        lacking = missing_columns(frame, item["table"], item["column"], item["key"])
        if lacking:
            rows.append(not_run(label, quantity, lacking, 0.0, keys))
            continue
        sub = rule_met(select(frame, item.get("where")))
        vals, missing = means_by(sub, item["key"], [n for g in chain for n in g], item["column"])
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


@KINDS.register("ranking")
def ranking(item, tables, ctx) -> list[dict]:
    """The mean of a column per group: the subject's ahead of every other group's (the highest,
    or the lowest) by more than two standard errors (a tie is not a ranking)."""
    frame = tables.get(item["table"])
    subject, group, col = item["subject"], item["group"], item["column"]
    keys = {"detector": subject} if group == "detector" else item_keys(item, ctx)
    highest = item["direction"] == "highest"
    quantity = f"mean {col} of {subject} minus the {'best' if highest else 'lowest'} other"
    if frame is None:
        return [not_run(subject, quantity, absent(item["table"]), 0.0, keys)]
    lacking = missing_columns(frame, item["table"], col, group)
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
    n = images_for(sub.iloc[0], "accuracy", None, ctx.pair_images) if len(sub) else None
    band = two_se(means[subject], n, means[rival], n)
    detail = ", ".join(f"{g} {means[g]:.3f}" for g in [subject, *others])
    return [gap_claim(subject, quantity, float(value), band, keys, detail, item.get("margin", 0.0))]


@KINDS.register("group_transfer")
def group_transfer(item, tables, ctx) -> list[dict]:
    """Per detector: fitted to the ``strong`` attacks and tested on the ``weak`` ones, its mean
    accuracy is ahead of fitted to the weak and tested on the strong, by more than two standard
    errors (generalising only from the stronger attacks; a tie is not an ordering)."""
    frame = tables.get(item["table"])
    col, strong, weak = item["column"], item["strong"], item["weak"]
    groups = f"fitted to {'/'.join(strong)}, tested on {'/'.join(weak)}"
    quantity = f"mean {col} {groups}, minus the reverse"
    rows = []
    for det in item["detectors"]:
        keys = {"detector": det}
        if frame is None:
            rows.append(not_run(det, quantity, absent(item["table"]), 0.0, keys))
            continue
        sub = frame[frame["detector"] == det]
        down = sub[sub["type_fit"].isin(strong) & sub["type_test"].isin(weak)]
        up = sub[sub["type_fit"].isin(weak) & sub["type_test"].isin(strong)]
        if not len(down) or not len(up):
            why = f"no {det} cells fitted to one group and tested on the other"
            rows.append(not_run(det, quantity, why, 0.0, keys))
            continue
        a, b = float(down[col].mean()), float(up[col].mean())
        n = images_for(sub.iloc[0], col, None, ctx.pair_images)
        detail = f"strong → weak {a:.3f} ({len(down)} cells); weak → strong {b:.3f} ({len(up)})"
        rows.append(gap_claim(det, quantity, a - b, two_se(a, n, b, n), keys, detail))
    return rows
