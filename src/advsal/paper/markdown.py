"""results/<run>/paper_comparison.md: per paper the verdict counts, the mean over like-for-like
cells and the worst of them, then one table per item with its description and tolerance once."""

from __future__ import annotations

import math

from advsal.paper.kinds import VERDICTS

LEGEND = (
    "Verdicts: **holds** / **fails**: like-for-like (the run's dataset, network, resolution and "
    "budget are the paper's), within the cell's tolerance or meeting the claim's condition; "
    "**not comparable**: a proxy on another setting, this project's extension, a value true by "
    "construction or one the paper does not publish (what it would say is in the note); **not "
    "run**: the table, row or value is missing here (the note says why). Only like-for-like "
    "cells enter the mean |reproduced - published| and the counts of holds and fails."
)


def fmt(v) -> str:
    """Two decimals, more for small numbers (0.0017), none for whole counts above 1."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if v == 0:
        return "0.00"
    if abs(v) >= 1 and float(v).is_integer():
        return f"{v:.0f}" if abs(v) > 1 else f"{v:.2f}"
    decimals = max(2, 2 - math.floor(math.log10(abs(v))))
    text = f"{v:.{decimals}f}".rstrip("0")
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"


def _cell(text: str) -> str:
    return str(text).replace("|", "/").replace("\n", " ")


def run_line(ctx) -> str:
    s = ctx.setting
    nets = ", ".join(f"{n} = {ctx.network(n)}" for n in s["classifiers"])
    shape = "x".join(map(str, s["shape"])) if s.get("shape") else "unknown shape"
    test = f", {s['test_images']:,} test images" if s.get("test_images") else ""
    data = f"{ctx.dataset_label(s['dataset'])} (`{s['dataset_name']}`, {shape}{test})"
    out = f"This run: {data}; classifiers {nets}"
    if s.get("certified"):
        c = s["certified"]
        side = f"{c['side']} x {c['side']}"
        out += f"; certified two-layer nets on {side} images, L_flow <= {c['flow_budget']:g}"
    return out + "."


def summary_lines(rows: list[dict]) -> list[str]:
    lines = ["| rows | " + " | ".join(VERDICTS) + " |", "|---|" + "---|" * len(VERDICTS)]
    for label, is_cell in (("cells", True), ("claims", False)):
        sub = [r for r in rows if r["cell"] == is_cell]
        if sub:
            counts = [sum(r["verdict"] == v for r in sub) for v in VERDICTS]
            lines.append(f"| {label} | " + " | ".join(map(str, counts)) + " |")
    pooled = [r for r in rows if r["pooled"]]
    lines.append("")
    if pooled:
        diffs = [abs(r["reproduced"] - r["published"]) for r in pooled]
        left = sum(r["cell"] for r in rows) - len(pooled)
        lines.append(
            f"Mean |reproduced - published| over the {len(pooled)} like-for-like cells: "
            f"**{sum(diffs) / len(diffs):.3f}**"
            + (f" ({left} other cells are not comparable, not run or not pooled)." if left else ".")
        )
        worst = sorted(pooled, key=lambda r: -abs(r["reproduced"] - r["published"]))[:5]
        lines.append("")
        lines.append(
            "Worst like-for-like cells: "
            + "; ".join(
                f"{r['target']} {r['where']} {r['quantity']} {fmt(r['reproduced'])} vs "
                f"{fmt(r['published'])} ({r['verdict']})"
                for r in worst
            )
            + "."
        )
    else:
        lines.append("No like-for-like cell in this run: nothing enters a mean.")
    return lines + [""]


def item_lines(item: dict, rows: list[dict], published: dict, ctx) -> list[str]:
    lines = [f"### {item['target']}", "", item["text"] + "."]
    notes = []
    if item.get("setting"):
        notes.append(f"Published on: {ctx.label(published)}.")
    if "tolerance" in item:
        share = (
            f"±{item['tolerance']:.0%} of the published value"
            if item.get("relative")
            else f"±{item['tolerance']:g}"
        )
        notes.append(f"Tolerance {share}: {item['tolerance_reason']}.")
    if item.get("margin_reason"):
        notes.append(f"Bound: {item['margin_reason']}.")
    if item.get("floor_reason"):
        notes.append(f"Floor {item['floor']:g}: {item['floor_reason']}.")
    if item.get("budgets"):
        notes.append(f"Budgets: {item['budgets']}.")
    if item.get("note"):
        notes.append(f"Note: {item['note']}.")
    if item.get("pooled") is False:
        notes.append("Judged, but not pooled into the mean (not an accuracy on one scale).")
    if notes:
        lines += ["", " ".join(notes)]
    lines += [
        "",
        "| where | quantity | published | reproduced | difference | bound | verdict | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        diff = (
            ""
            if not r["cell"] or r["reproduced"] is None or r["published"] is None
            else f"{r['reproduced'] - r['published']:+.3f}"
        )
        mark = {"fails": "**fails**"}.get(r["verdict"], r["verdict"])
        lines.append(
            f"| {_cell(r['where'])} | {_cell(r['quantity'])} | {fmt(r['published'])} | "
            f"{fmt(r['reproduced'])} | {diff} | {r['tolerance']} | {mark} | {_cell(r['reason'])} |"
        )
    return lines + [""]


def comparison_markdown(sections, run: str, ctx) -> str:
    lines = [f"# Paper comparison: {run}", ""]
    if not sections:
        return "\n".join(lines + ["No paper reference chosen (`evaluation.paper` is unset).", ""])
    lines += [LEGEND, "", run_line(ctx), ""]
    for key, entry, rows in sections:
        lines += [f"## {entry['paper']} (`{key}`)", ""]
        on = entry["setting"]
        lines += [f"Published on: {ctx.label(on)}.", ""]
        lines += summary_lines(rows)
        for group, item in enumerate(entry["items"]):
            mine = [r for r in rows if r["group"] == group]
            lines += item_lines(item, mine, {**on, **item.get("setting", {})}, ctx)
    return "\n".join(lines) + "\n"
