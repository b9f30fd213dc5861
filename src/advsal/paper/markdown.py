"""results/<run>/paper_comparison.md: per paper the verdict counts, the mean over like-for-like
cells and the worst of them, then one table per item with its description and tolerance once."""

from __future__ import annotations

import math
from collections import Counter

from advsal.paper.protocol import departures, unchecked

LEGEND = (
    "Verdicts: **holds** / **fails**: like-for-like (the run's dataset, network, resolution and "
    "budget are the paper's), within the cell's band or meeting the claim's condition; a "
    "difference the paper says is positive holds only beyond two standard errors (a tie is not "
    "an ordering), and no row about a degenerate detector (one that flags its own attack's "
    "adversarials no more often than clean images) holds; **calibrated**: a cell the run's "
    "settings were tuned to hit; **not comparable**: a proxy on another setting, this project's "
    "extension, a value true by construction or one the paper does not publish (what it would "
    "say is in the note); **not run**: the table, row or value is missing here (the note says "
    "why); **unstable**: like-for-like, but its holds / fails differs between seeds of this "
    "config (the seeds' verdicts and the range in the note); **unmeasured**: like-for-like, but "
    "this config's seed spread has not measured the row, so its stability is unknown; "
    "**uninformative**: like-for-like, but a degenerate detector's value (never flags, always "
    "flags, a coin: chance) is inside the cell's band, so the band cannot tell. Only "
    "like-for-like rows whose verdict no seed changes enter the counts, and only such cells the "
    "mean |reproduced - published|; claims judged across settings are counted on their own "
    "line, and a measurement shown in several rows counts once."
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
    numerics = s.get("numerics", "portable")
    out += (
        "; numerics portable (torch's kernels at AVX2: the same numbers on any x86-64 host)"
        if numerics == "portable"
        else "; numerics native (the host's kernels: numbers move with the CPU)"
    )
    return out + "."


def counts(rows: list[dict]) -> dict:
    """Holds / fails (like-for-like, each measurement once), calibrated, across settings (holds
    and fails of claims judged on another setting), not comparable, not run."""
    counted = [r for r in rows if r.get("basis") == "like-for-like"]
    across = [r for r in rows if r.get("basis") == "across settings"]
    return {
        "holds": sum(r["verdict"] == "holds" for r in counted),
        "fails": sum(r["verdict"] == "fails" for r in counted),
        "unstable": sum(r.get("basis") == "unstable" for r in rows),
        "unmeasured": sum(r.get("basis") == "unmeasured" for r in rows),
        "uninformative": sum(r.get("basis") == "uninformative" for r in rows),
        "calibrated": sum(r["verdict"] == "calibrated" for r in rows),
        "across settings": f"{sum(r['verdict'] == 'holds' for r in across)} / {len(across)}"
        if across
        else "0",
        "not comparable": sum(r["verdict"] == "not comparable" for r in rows),
        "not run": sum(r["verdict"] == "not run" for r in rows),
    }


COUNT_COLUMNS = (
    "holds",
    "fails",
    "unstable",
    "unmeasured",
    "uninformative",
    "calibrated",
    "across settings",
    "not comparable",
    "not run",
)


def mean_line(rows: list[dict]) -> str:
    """The mean |reproduced - published| per scale (rates apart from distances and ratios)."""
    parts = []
    for name in ("rate", "other"):
        pooled = [r for r in rows if r["pooled"] and r.get("scale", "rate") == name]
        if pooled:
            diffs = [abs(r["reproduced"] - r["published"]) for r in pooled]
            what = "rates" if name == "rate" else "other quantities"
            parts.append(f"{what} {sum(diffs) / len(diffs):.3f} ({len(pooled)} cells)")
    return "; ".join(parts) or "–"


def holds_by(rows: list[dict]) -> str:
    """The counted holds by what decided them: a computed band, a stated tolerance, a claim."""
    held = [r for r in rows if r.get("basis") == "like-for-like" and r["verdict"] == "holds"]
    n = Counter(r.get("decided_by") or "claim" for r in held)
    return f"{n['band']} / {n['tolerance']} / {n['claim']}"


def overview_lines(sections, ctx) -> list[str]:
    """The first screen: one line per paper."""
    head = ["paper", "published on", "this run", *COUNT_COLUMNS]
    head += ["holds by band / tolerance / claim", "mean |diff|", "departures"]
    lines = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    for key, entry, rows in sections:
        c = counts(rows)
        cols = [f"`{key}`", ctx.label(entry["setting"]), _this_run(entry, rows)]
        cols += [str(c[k]) for k in COUNT_COLUMNS]
        deps = (
            f"{len(departures(entry, ctx))} + {len(unchecked(entry, ctx))} unchecked"
            if entry.get("protocol")
            else "–"
        )
        lines.append("| " + " | ".join([*cols, holds_by(rows), mean_line(rows), str(deps)]) + " |")
    return lines + [""]


def _this_run(entry: dict, rows: list[dict]) -> str:
    """How the run's setting differs from the paper's on most of the rows of items published
    on the paper's own setting (the paper's where none differs)."""
    own = [r for r in rows if not entry["items"][r["group"]].get("setting")]
    found = Counter(r["setting"] for r in own if r.get("setting"))
    if not found:
        return "the paper's dataset, network name and budgets"
    (common, n), *rest = found.most_common()
    return common + (f" (and {len(rest)} other settings)" if rest else "")


def departure_lines(entry: dict, ctx) -> list[str]:
    if not entry.get("protocol"):
        return []
    found = departures(entry, ctx)
    source = entry["protocol"]["source"]
    if not found:
        lines = [f"No departure from the paper's stated protocol ({source}).", ""]
    else:
        head = f"Departures from the paper's stated protocol ({source}):"
        lines = [head, "", *(f"- {d}" for d in found), ""]
    blind = unchecked(entry, ctx)
    if blind:
        lines += ["Not checked (the paper does not say, or only by name):", ""]
        lines += [*(f"- {d}" for d in blind), ""]
    return lines


def summary_lines(rows: list[dict]) -> list[str]:
    lines = ["| rows | " + " | ".join(COUNT_COLUMNS) + " |", "|---|" + "---|" * len(COUNT_COLUMNS)]
    for label, is_cell in (("cells", True), ("claims", False)):
        sub = [r for r in rows if r["cell"] == is_cell]
        if sub:
            c = counts(sub)
            lines.append(f"| {label} | " + " | ".join(str(c[k]) for k in COUNT_COLUMNS) + " |")
    pooled = [r for r in rows if r["pooled"]]
    lines.append("")
    if pooled:
        left = sum(r["cell"] for r in rows) - len(pooled)
        lines.append(
            f"Mean |reproduced - published| over the like-for-like cells: **{mean_line(rows)}**"
            + (f" ({left} other cells are not counted here)." if left else ".")
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
    names = {r["degenerate"] for r in rows if r.get("degenerate")}
    if names:
        lines += ["", f"Degenerate here: {', '.join(sorted(names))} (no row about them holds)."]
    fits = {r["degenerate_fit"] for r in rows if r.get("degenerate_fit")}
    if fits:
        lines += [
            "",
            f"Degenerate fits here: {', '.join(sorted(fits))} (no row about those fits holds; "
            "the detectors' other fits are judged as usual).",
        ]
    shaky = sum(r.get("basis") == "unstable" for r in rows)
    if shaky:
        lines += [
            "",
            f"Unstable across seeds: {shaky} row{'s' if shaky != 1 else ''} whose verdict "
            "differs between seeds of this config, outside the counts and the mean "
            "(bench/seed_spread.py; each row's note gives the verdicts and the range).",
        ]
    return lines + [""]


def spread_line(spread: bool) -> str:
    """What the counts stand on: the seeds of this config's spread, or one seed."""
    if spread:
        return (
            "Counted: like-for-like rows whose verdict is the same at every seed of this "
            "config's seed spread (bench/seed_spread.csv); rows it finds unstable, or has not "
            "measured, are outside holds / fails and the mean."
        )
    return (
        "No seed spread was measured for this config: holds / fails are of this one seed "
        "(`python bench/seed_spread.py --config <this config>` measures one)."
    )


def band_note(spec: dict, rows: list[dict]) -> str:
    """How an item's intervals were computed, and the widths they came to."""
    paper = (
        f", two standard errors of the paper's {spec['paper_images']:,} images"
        if spec.get("paper_images")
        else ""
    )
    unit = 0.5 * 10.0 ** -spec.get("printed", 2)
    extra = f", {spec['extra']:g} more ({spec['extra_reason']})" if spec.get("extra") else ""
    widths = [(r["upper"] - r["lower"]) / 2 for r in rows if r["lower"] is not None and r["cell"]]
    span = f"; here ±{min(widths):.3f} to ±{max(widths):.3f} on average" if widths else ""
    return (
        f"Band, computed per cell: the central 95% of a binomial count of this run's images at "
        f"any rate the published value allows (its printed unit's half, {unit:g}{paper}{extra}; "
        f"at least two of the paper's standard deviations over seeds where it gives them){span}."
    )


def _parts(reason: str) -> list[str]:
    return [p for p in str(reason or "").split("; ") if p]


def shared_notes(rows: list[dict]) -> list[str]:
    """The parts of a note every row of an item shares (printed once, above its table)."""
    if len(rows) < 2:
        return []
    first, *rest = (_parts(r["reason"]) for r in rows)
    return [p for p in first if all(p in other for other in rest)]


def item_lines(item: dict, rows: list[dict], published: dict, ctx) -> list[str]:
    lines = [f"### {item['target']}", "", item["text"] + "."]
    notes = []
    if item.get("setting"):
        notes.append(f"Published on: {ctx.label(published)}.")
    if "tolerance" in item:
        share = (
            f"a factor {1 + item['tolerance']:g} either way of the published value"
            if item.get("relative")
            else f"±{item['tolerance']:g}"
        )
        notes.append(f"Tolerance {share}: {item['tolerance_reason']}.")
    if "band" in item:
        notes.append(band_note(item["band"], rows))
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
    shared = shared_notes(rows)
    if shared:
        lines += ["", f"Every row: {'; '.join(shared)}."]
    lines += [
        "",
        "| where | quantity | published | reproduced | difference | bound | verdict | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        r = {**r, "reason": "; ".join(p for p in _parts(r["reason"]) if p not in shared)}
        diff = (
            ""
            if not r["cell"] or r["reproduced"] is None or r["published"] is None
            else f"{r['reproduced'] - r['published']:+.3f}"
        )
        mark = {"fails": "**fails**"}.get(r["verdict"], r["verdict"])
        if r["verdict"] == "fails" and r.get("side"):
            mark += f" ({r['side']})"  # above / below its band, or with the pair member that failed
        if r.get("basis") in ("unstable", "unmeasured", "uninformative"):
            mark = f"{r['basis']} ({r['verdict']} here)"
        labels = r.get("labels") or {}
        published = labels.get("published") or fmt(r["published"])
        reproduced = labels.get("reproduced") or fmt(r["reproduced"])
        lines.append(
            f"| {_cell(r['where'])} | {_cell(r['quantity'])} | {published} | "
            f"{reproduced} | {diff} | {r['tolerance']} | {mark} | {_cell(r['reason'])} |"
        )
    return lines + [""]


def comparison_markdown(sections, run: str, ctx, spread: bool = False) -> str:
    lines = [f"# Paper comparison: {run}", ""]
    if not sections:
        return "\n".join(lines + ["No paper reference chosen (`evaluation.paper` is unset).", ""])
    lines += [run_line(ctx), "", *overview_lines(sections, ctx), spread_line(spread), ""]
    lines += [LEGEND, ""]
    for key, entry, rows in sections:
        lines += [f"## {entry['paper']} (`{key}`)", ""]
        on = entry["setting"]
        lines += [f"Published on: {ctx.label(on)}.", ""]
        lines += summary_lines(rows)
        lines += departure_lines(entry, ctx)
        for group, item in enumerate(entry["items"]):
            mine = [r for r in rows if r["group"] == group]
            lines += item_lines(item, mine, {**on, **item.get("setting", {})}, ctx)
    return "\n".join(lines) + "\n"
