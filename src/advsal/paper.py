"""Published vs reproduced, side by side (results/<run>/paper_comparison.md)."""

from __future__ import annotations

import math

import pandas as pd
import yaml

from advsal import io
from advsal.tables import read_table

RULE_NOT_MET = "eps grid never met the accuracy rule"


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return str(v) if isinstance(v, int) else f"{v:.2f}"


def _diff(pub, rep) -> str:
    if pub is None or rep is None or (isinstance(rep, float) and math.isnan(rep)):
        return "–"
    return f"{rep - pub:+.2f}"


def comparison_rows(ref: dict, table1: pd.DataFrame, eps_matrix: pd.DataFrame) -> list[dict]:
    rows = []
    t1 = ref.get("table1")
    if t1:
        sub = table1[table1["detector"] == t1["detector"]].set_index("attack")
        for attack, pub in t1["attacks"].items():
            here = attack in sub.index
            met = bool(sub.loc[attack, "threshold_met"]) if here else True
            for qty, value in pub.items():
                rows.append(
                    {
                        "target": "Table 1",
                        "attack": attack,
                        "cell": f"{qty} (eps {sub.loc[attack, 'eps'] if here else None})",
                        "published": value,
                        "reproduced": float(sub.loc[attack, qty]) if here else None,
                        "note": "" if met else RULE_NOT_MET,
                    }
                )
    em = ref.get("eps_matrix")
    if em:
        sub = eps_matrix[eps_matrix["detector"] == em["detector"]]
        for attack, grid in em["attacks"].items():
            cells = sub[sub["attack"] == attack]
            fits = sorted(cells["eps_fit"].unique(), key=float)
            tests = sorted(cells["eps_test"].unique(), key=float)
            for i, row in enumerate(grid):
                for j, value in enumerate(row):
                    rep = None
                    if i < len(tests) and j < len(fits):
                        hit = cells[(cells["eps_test"] == tests[i]) & (cells["eps_fit"] == fits[j])]
                        rep = float(hit["accuracy"].iloc[0]) if len(hit) else None
                    label = (
                        f"test #{i + 1} x fit #{j + 1}"
                        if rep is None
                        else f"test {tests[i]} x fit {fits[j]}"
                    )
                    rows.append(
                        {
                            "target": "Fig. 3",
                            "attack": attack,
                            "cell": label,
                            "published": value,
                            "reproduced": rep,
                            "note": "",
                        }
                    )
    return rows


CLAIM_HOLDS, CLAIM_FAILS = "claim holds", "claim fails"


def _verdict(ok: bool) -> str:
    return CLAIM_HOLDS if ok else CLAIM_FAILS


def _claim_min_detectability(claim, tables):
    frame = tables.get("detectability")
    below = claim["accuracy_below"]
    if frame is None:
        return []
    sub = frame[(frame["detector"] == claim["detector"]) & (frame["accuracy_adv"] < below)]
    cell = f"min detectability over the {len(sub)} (attack, eps) with f accuracy < {below:g}"
    if not len(sub):
        return [_row(claim, "all", cell, None, f"no adversary brought f below {below:g}")]
    worst = sub.loc[sub["accuracy"].idxmin()]
    ok = bool(worst["accuracy"] > claim["published"])
    where = f"{worst['attack']} eps {worst['eps']}"
    return [_row(claim, where, cell, float(worst["accuracy"]), _verdict(ok))]


def _claim_best_depth(claim, tables):
    """The depths within one test image of the best accuracy tie; the claim holds where the
    paper's depth is among them."""
    frame = tables.get("depth_sweep")
    if frame is None:
        return []
    rows = []
    sub = frame[frame["detector"] == claim["detector"]]
    for attack, grp in sub.groupby("attack", sort=False):
        kind = grp["type"].iloc[0]
        if kind not in claim["types"]:
            continue
        one_image = 1.0 / (grp["n_clean"].iloc[0] + grp["n_adv"].iloc[0])
        top = grp[grp["accuracy"] >= grp["accuracy"].max() - one_image - 1e-9]
        best = [int(a) for a in top["ad"]]
        pub = claim["types"][kind]
        ties = ", ".join(f"AD({a})" for a in best)
        cell = f"best attachment depth (accuracy {grp['accuracy'].max():.3f}; tied: {ties})"
        rows.append(_row(claim, attack, cell, best[0], _verdict(pub in best), pub))
    return rows


def _claim_adaptive(claim, tables):
    frame = tables.get("adaptive")
    if frame is None:
        return []
    rows = []
    suffix = "_fooled" if claim.get("while_fooled") else ""
    for _, r in frame[frame["version"] == claim["version"]].iterrows():
        value = r["detectability_min" + suffix]
        where = f"{r['attack']} eps {r['eps']}"
        if value != value:  # NaN: no sigma qualifies
            why = f"no sigma brought f below {r['threshold']:g}" if suffix else "nothing kept"
            cell = f"{r['detector']} ({claim['version']}): {why}"
            rows.append(_row(claim, where, cell, None, ""))
            continue
        if claim["check"] == "at_most":
            ok = value <= claim["published"] + claim.get("margin", 0.0)
        else:
            ok = value > claim["published"]
        below = f" with f accuracy < {r['threshold']:g}" if suffix else ""
        cell = (
            f"{r['detector']} ({claim['version']}): min detectability over sigma{below} "
            f"(at sigma {r['sigma_at_min' + suffix]:g}, f accuracy "
            f"{r['accuracy_adv_at_min' + suffix]:.2f}, {int(r['n_kept_at_min' + suffix])} kept)"
        )
        rows.append(_row(claim, where, cell, value, _verdict(ok)))
    return rows


def _claim_cells(claim, tables):
    """Published cells of any table: each entry's ``match`` picks one row, every other key is
    a column and its published value."""
    frame = tables.get(claim["table"])
    if frame is None:
        return []
    base = frame
    for col, val in (claim.get("where") or {}).items():
        base = base[base[col].astype(str) == str(val)]
    rows = []
    for entry in claim["cells"]:
        match = entry["match"]
        sub = base
        for col, val in match.items():
            sub = sub[sub[col].astype(str) == str(val)]
        where = str(match["eps"]) if "eps" in match else ""
        for col, pub in entry.items():
            if col == "match":
                continue
            rep = float(sub[col].iloc[0]) if len(sub) and sub[col].notna().iloc[0] else None
            cell = f"{claim['text']}: {col}" + (f" (eps {where})" if where else "")
            rows.append(
                {
                    "target": claim["target"],
                    "attack": match.get("attack") or ", ".join(map(str, match.values())),
                    "cell": cell,
                    "published": pub,
                    "reproduced": rep,
                    "note": "" if len(sub) else "not in this run",
                }
            )
    return rows


def _claim_versus(claim, tables):
    """Does detector ``a`` match or beat ``b`` (within ``margin``) attack by attack? One row:
    the count, and which of the two papers' findings it supports."""
    frame = tables.get(claim["table"])
    if frame is None:
        return []
    if "attack_fit" in frame:  # fit x test cells: the diagonal
        frame = frame[
            (frame["attack_fit"] == frame["attack_test"]) & (frame["eps_fit"] == frame["eps_test"])
        ].rename(columns={"attack_fit": "attack"})
    a, b, col, margin = claim["a"], claim["b"], claim["column"], claim.get("margin", 0.0)
    pa = frame[frame["detector"] == a].set_index("attack")[col]
    pb = frame[frame["detector"] == b].set_index("attack")[col]
    both = [x for x in pa.index if x in pb.index]
    if not both:
        return [_row(claim, "all", f"no attack has both {a} and {b}", None, "")]
    wins = [x for x in both if pa[x] >= pb[x] - margin]
    behind = ", ".join(f"{x} ({pb[x] - pa[x]:+.2f})" for x in both if x not in wins)
    cell = f"{a} >= {b} - {margin:g} ({col}) on {len(wins)} of {len(both)} attacks" + (
        f"; {b} ahead on {behind}" if behind else ""
    )
    supports = claim["if_most"] if 2 * len(wins) >= len(both) else claim["if_few"]
    return [_row(claim, "all", cell, len(wins), f"finding: {supports}", len(both))]


def _claim_layer_order(claim, tables):
    """Per attack: is the Grad-CAM map at the first layer role closer to the clean one than at
    the last (the shallow layer more robust than the deep one)?"""
    frame = tables.get("layer_study")
    if frame is None:
        return []
    rows = []
    for attack, grp in frame[frame["attack"] != "different images"].groupby("attack", sort=False):
        corr = grp.set_index("role")["correlation"]
        roles = [r for r in claim["roles"] if r in corr.index]  # the study's own roles
        if len(roles) < 2:
            continue
        first, last = roles[0], roles[-1]
        trail = ", ".join(f"{r} {corr[r]:.2f}" for r in roles)
        cell = f"correlation clean vs adversarial by layer: {trail}"
        rows.append(
            _row(
                claim,
                f"{attack} eps {grp['eps'].iloc[0]}",
                cell,
                float(corr[first] - corr[last]),
                _verdict(bool(corr[first] > corr[last])),
                0.0,
            )
        )
    return rows


CLAIMS = {
    "layer_order": _claim_layer_order,
    "min_detectability": _claim_min_detectability,
    "best_depth": _claim_best_depth,
    "adaptive": _claim_adaptive,
    "cells": _claim_cells,
    "versus": _claim_versus,
}


def _row(claim, attack, cell, reproduced, note, published=None):
    return {
        "target": claim["target"],
        "attack": attack,
        "cell": f"{claim['text']}: {cell}",
        "published": claim.get("published") if published is None else published,
        "reproduced": reproduced
        if reproduced is None or isinstance(reproduced, int)
        else float(reproduced),
        "note": note,
    }


def claim_rows(ref: dict, tables: dict) -> list[dict]:
    """The rows of a reference's ``claims`` (statements, not cells: "detectability above 0.8
    where f is below 30%"), each with the number that decides it and whether it holds."""
    return [row for claim in ref.get("claims", []) for row in CLAIMS[claim["kind"]](claim, tables)]


COLUMNS = ["target", "attack", "cell", "published", "reproduced", "note"]


def write_comparison(ref_path, keys, tables: dict, run, out_md, out_csv) -> list[dict]:
    """Markdown for people, CSV for the report; both from the same rows. ``keys``: the
    references (``evaluation.paper``); ``tables``: name -> CSV path (missing ones are skipped)."""
    refs = yaml.safe_load(open(ref_path))
    keys = [keys] if isinstance(keys, str) else list(keys or [])
    for key in keys:
        if key not in refs:
            raise KeyError(
                f"evaluation.paper: {key!r} is not in {ref_path} (have: {', '.join(refs)})"
            )
    frames = {name: _read_all(paths) for name, paths in tables.items() if paths}
    sections, all_rows = [], []
    for key in keys:
        ref = refs[key]
        rows = []
        if "table1" in ref or "eps_matrix" in ref:
            rows += comparison_rows(ref, frames["table1"], frames["eps_matrix"])
        rows += claim_rows(ref, frames)
        sections.append((key, ref, rows))
        all_rows += [{"paper": key, **r} for r in rows]
    io.write_text(out_md, comparison_markdown(sections, run))
    frame = pd.DataFrame(all_rows, columns=["paper", *COLUMNS])
    frame["difference"] = pd.to_numeric(frame["reproduced"]) - pd.to_numeric(frame["published"])
    io.write_csv(out_csv, frame)
    return all_rows


def _read_all(paths):
    paths = [paths] if isinstance(paths, str) else list(paths)
    return pd.concat([read_table(p) for p in paths], ignore_index=True)


def comparison_markdown(sections, run: str) -> str:
    lines = [f"# Paper comparison: {run}", ""]
    if not sections:
        return "\n".join(lines + ["No paper reference chosen (`evaluation.paper` is unset).", ""])
    for key, ref, rows in sections:
        lines += _section_markdown(key, ref, rows)
    return "\n".join(lines) + "\n"


def _section_markdown(key, ref, rows) -> list[str]:
    lines = [f"## {ref['paper']} (`{key}`)", ""]
    for target in ("table1", "eps_matrix"):
        if target in ref:
            lines.append(f"- {ref[target]['source']}; detector `{ref[target]['detector']}`")
    cells = [r for r in rows if r["note"] in ("", RULE_NOT_MET)]
    diffs = [
        r["reproduced"] - r["published"]
        for r in cells
        if r["reproduced"] is not None and r["published"] is not None
    ]
    if diffs:
        mean_abs = sum(abs(d) for d in diffs) / len(diffs)
        lines.append(
            f"- {len(diffs)} cells compared; mean |reproduced - published| = {mean_abs:.3f}"
        )
    claims = [r for r in rows if r["note"] in (CLAIM_HOLDS, CLAIM_FAILS)]
    if claims:
        held = sum(r["note"] == CLAIM_HOLDS for r in claims)
        lines.append(f"- claims: {held} of {len(claims)} hold on this run")
    if any(r["note"] == RULE_NOT_MET for r in rows):
        lines.append(f"- note \u26a0: {RULE_NOT_MET}, so the attack is weaker than the paper's")
    lines += [
        "",
        "| target | attack | cell | published | reproduced | difference | note |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        note = f"\u26a0 {r['note']}" if r["note"] in (RULE_NOT_MET, CLAIM_FAILS) else r["note"]
        lines.append(
            f"| {r['target']} | {r['attack']} | {r['cell']} | {_fmt(r['published'])} | "
            f"{_fmt(r['reproduced'])} | {_diff(r['published'], r['reproduced'])} | {note} |"
        )
    return lines + [""]
