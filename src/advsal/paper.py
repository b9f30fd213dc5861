"""Published vs reproduced, side by side (results/<run>/paper_comparison.md)."""

from __future__ import annotations

import math

import pandas as pd
import yaml

from advsal.tables import read_table


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
            for qty, value in pub.items():
                rep = float(sub.loc[attack, qty]) if attack in sub.index else None
                eps = sub.loc[attack, "eps"] if attack in sub.index else None
                rows.append(
                    {
                        "target": "Table 1",
                        "attack": attack,
                        "cell": f"{qty} (eps {eps})",
                        "published": value,
                        "reproduced": rep,
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
                        }
                    )
    return rows


def comparison_markdown(ref_path, key: str | None, table1_csv, eps_csv, run: str) -> str:
    lines = [f"# Paper comparison: {run}", ""]
    refs = yaml.safe_load(open(ref_path))
    if not key:
        return "\n".join(lines + ["No paper reference chosen (`evaluation.paper` is unset).", ""])
    if key not in refs:
        raise KeyError(f"evaluation.paper: {key!r} is not in {ref_path} (have: {', '.join(refs)})")
    ref = refs[key]
    rows = comparison_rows(ref, read_table(table1_csv), read_table(eps_csv))
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
    lines += [
        "",
        "| target | attack | cell | published | reproduced | difference |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['target']} | {r['attack']} | {r['cell']} | {_fmt(r['published'])} | "
            f"{_fmt(r['reproduced'])} | {_diff(r['published'], r['reproduced'])} |"
        )
    return "\n".join(lines) + "\n"
