"""Published vs reproduced, side by side (results/<run>/paper_comparison.md)."""

from __future__ import annotations

import math

import pandas as pd
import yaml

from advsal import io
from advsal.tables import read_table

RULE_NOT_MET = "eps grid never met the accuracy rule"


def _fmt(v) -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.2f}"


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


COLUMNS = ["target", "attack", "cell", "published", "reproduced", "note"]


def write_comparison(ref_path, key, table1_csv, eps_csv, run, out_md, out_csv) -> list[dict]:
    """Markdown for people, CSV for the report; both from the same rows."""
    refs = yaml.safe_load(open(ref_path))
    if key and key not in refs:
        raise KeyError(f"evaluation.paper: {key!r} is not in {ref_path} (have: {', '.join(refs)})")
    ref = refs[key] if key else None
    rows = comparison_rows(ref, read_table(table1_csv), read_table(eps_csv)) if ref else []
    io.write_text(out_md, comparison_markdown(ref, key, rows, run))
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["difference"] = pd.to_numeric(frame["reproduced"]) - pd.to_numeric(frame["published"])
    io.write_csv(out_csv, frame)
    return rows


def comparison_markdown(ref: dict | None, key: str | None, rows: list[dict], run: str) -> str:
    lines = [f"# Paper comparison: {run}", ""]
    if not ref:
        return "\n".join(lines + ["No paper reference chosen (`evaluation.paper` is unset).", ""])
    lines += [f"Reference: {ref['paper']} (`{key}`).", ""]
    for target in ("table1", "eps_matrix"):
        if target in ref:
            lines.append(f"- {ref[target]['source']}; detector `{ref[target]['detector']}`")
    diffs = [
        r["reproduced"] - r["published"]
        for r in rows
        if r["reproduced"] is not None and r["published"] is not None
    ]
    if diffs:
        mean_abs = sum(abs(d) for d in diffs) / len(diffs)
        lines.append(
            f"- {len(diffs)} cells compared; mean |reproduced - published| = {mean_abs:.3f}"
        )
    if any(r["note"] for r in rows):
        lines.append(f"- note \u26a0: {RULE_NOT_MET}, so the attack is weaker than the paper's")
    lines += [
        "",
        "| target | attack | cell | published | reproduced | difference | note |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        note = f"\u26a0 {r['note']}" if r["note"] else ""
        lines.append(
            f"| {r['target']} | {r['attack']} | {r['cell']} | {_fmt(r['published'])} | "
            f"{_fmt(r['reproduced'])} | {_diff(r['published'], r['reproduced'])} | {note} |"
        )
    return "\n".join(lines) + "\n"
