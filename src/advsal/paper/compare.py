"""Every item of the chosen references judged on the run's tables, then settled against the
setting it was published on: a row on another setting than the paper's, this project's
extension or a value true by construction is "not comparable" (its outcome kept in the reason),
and only like-for-like cells enter the mean and the verdict counts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from advsal import io
from advsal.paper.bands import two_se
from advsal.paper.detection import DETECTOR_TABLES, about_detector, inside
from advsal.paper.kinds import FAILS, HOLDS, KINDS, NOT_COMPARABLE, Tables
from advsal.paper.markdown import comparison_markdown
from advsal.paper.reference import Context, load_reference
from advsal.paper.spread import mark_unstable
from advsal.tables import read_table

COLUMNS = [
    "paper",
    "target",
    "group",
    "kind",
    "row",
    "where",
    "quantity",
    "published",
    "reproduced",
    "difference",
    "lower",
    "upper",
    "tolerance",
    "margin",
    "verdict",
    "side",
    "reason",
    "setting",
    "basis",
    "decided_by",
    "scale",
    "pooled",
    "unstable",
]


# on what basis a judged row counts: like-for-like (the counts and the mean), a claim judged
# across settings (its own line), the same measurement as a row above (shown once counted), a
# like-for-like cell whose band a degenerate detector's value is inside (out of the counts)
LIKE_FOR_LIKE, ACROSS, REPEAT = "like-for-like", "across settings", "repeat"
UNINFORMATIVE = "uninformative"


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def chance_classifier(row: dict, tables: Tables, ctx: Context) -> str:
    """Why the classifier a row is about is no better than chance on clean images (within two
    standard errors of 1 / classes at the run's test images, and at least 0.05 above it where
    the count is unknown), or ""."""
    keys = row["keys"]
    clf = keys.get("classifier")
    if clf is None and keys.get("detector") in ctx.setting["detectors"]:
        clf = ctx.setting["detectors"][keys["detector"]]["classifier"]
    if clf is None and keys.get("attack") in ctx.setting["attacks"]:
        clf = ctx.setting["attacks"][keys["attack"]]["classifier"]
    if clf is None:  # an item that names no network is about the paper's f: the run's first
        clf = next(iter(ctx.setting["classifiers"]), None)
    classes = ctx.setting.get("classes")
    acc = None if clf is None else tables.clean_accuracy(str(clf))
    if acc is None or not classes:
        return ""
    chance, n = 1.0 / classes, ctx.setting.get("test_images")
    band = max(two_se(acc, n, chance, n), 0.0 if n else 0.05)
    if acc - chance > band:
        return ""
    return (
        f"{clf} is at chance: {acc:.3f} of the clean test images right, within {band:.3f} of "
        f"1/{classes}; no row about it holds"
    )


def gate(row: dict, item: dict, tables: Tables, ctx: Context) -> dict:
    """No row about a degenerate detector, or about a degenerate fit of one, holds
    (:mod:`.detection`): it fails, or is not comparable where the paper publishes chance itself
    (a broken detector gives the same, so the cell cannot tell), and its note names the
    detector degenerate. No row about a classifier at chance holds either."""
    if not about_detector(item, row["quantity"]):
        why = chance_classifier(row, tables, ctx)
        if why:
            if row["verdict"] == HOLDS:
                row["verdict"], row["side"] = FAILS, "f at chance"
            row["reason"] = _join(why, row["reason"])
        return row
    keys = row["keys"]
    names = [keys.get("detector"), *keys.get("detectors", ())]
    bad = tables.degenerate(ctx.detection["youden"])
    name = next((n for n in dict.fromkeys(names) if n in bad), None)
    if name is not None:
        why = bad[name]
        row["degenerate"] = name
    else:  # a detector that works on some fits: is this row's own fit one where it is a coin?
        why = tables.degenerate_fit(ctx.detection["youden"], keys)
        if why is None:
            return row
        row["degenerate_fit"] = f"{keys.get('detector')} on {keys.get('attack')}"
    if row["verdict"] == HOLDS:
        chance = row["cell"] and row["published"] is not None
        chance = chance and inside(0.5, row["lower"], row["upper"])
        if chance:
            row["verdict"] = NOT_COMPARABLE
            why += "; the paper publishes chance here, which a broken detector gives too"
        else:
            row["verdict"], row["side"] = FAILS, "degenerate"
    row["reason"] = _join(why, row["reason"])
    return row


# columns that hold a share of images (a rate, on one 0-1 scale), beside every detector rate
RATE_COLUMNS = {
    *(c for rates in DETECTOR_TABLES.values() for c in rates.columns if "std" not in c),
    *("accuracy", "accuracy_adv", "accuracy_clean", "f_clean", "f_adv", "f1_clean", "f2_clean"),
    *("success_rate", "fooled_rate", "fools_both_mean"),
}


def scale(row: dict, item: dict) -> str:
    """What a cell's number is, for the means: "rate" (a share of images: accuracies,
    detection and false-alarm rates) or "other" (distances, ratios, correlations, p-values),
    never pooled together."""
    if not row["cell"]:
        return ""
    if row.get("decided_by") == "band" or item["kind"] in ("eps_matrix", "cross_matrix"):
        return "rate"
    column = row["quantity"] if item["kind"] == "cells" else item.get("column")
    return "rate" if column in RATE_COLUMNS else "other"


def settle(row: dict, item: dict, published: dict, ctx: Context) -> dict:
    """Make a judged row not comparable where it is not like-for-like (keeping what it would
    say), say on what basis it counts and whether it enters the pooled mean."""
    row["setting"] = ""
    row["basis"] = ""
    if row["verdict"] in (HOLDS, FAILS):
        outcome = "hold" if row["verdict"] == HOLDS else "fail"
        det = row["keys"].get("detector")
        types = item.get("detector_types")
        construction = item.get("by_construction", {})
        differs = item.get("differs")
        why = ""
        row["basis"] = LIKE_FOR_LIKE
        if item.get("extension"):
            why = f"this project's extension: {item['extension']}"
        elif types and det and ctx.setting["detectors"].get(det, {}).get("type") not in types:
            kinds = "/".join(types)
            why = f"this project's extension: the paper's claim is about its {kinds} detector"
        elif row["quantity"] in construction:
            why = f"true by construction: {construction[row['quantity']]}"
        elif differs and row["quantity"] in item.get("differs_columns", [row["quantity"]]):
            why = f"proxy: {differs}"
        else:
            diff = ctx.mismatches(published, item, row["keys"])
            if diff:
                row["setting"] = "; ".join(diff)
                across = item.get("comparable_across_settings")
                if across:
                    row["basis"] = ACROSS
                    row["reason"] = _join(
                        row["reason"],
                        f"on another setting ({row['setting']}), comparable: {across}",
                    )
                else:
                    why = f"proxy: {row['setting']}"
        if why:
            row["basis"] = ""
            row["verdict"] = NOT_COMPARABLE
            row["reason"] = _join(why, f"here it would {outcome}", row["reason"])
        elif row["basis"] == LIKE_FOR_LIKE and row.get("uninformative"):
            row["basis"] = UNINFORMATIVE  # the band cannot tell a detector from a broken one
            row["reason"] = _join(row["uninformative"], row["reason"])
        if row.get("repeat"):
            row["basis"] = REPEAT
    row["scale"] = scale(row, item)
    row["pooled"] = bool(
        row["cell"]
        and row["basis"] == LIKE_FOR_LIKE
        and item.get("pooled", True)
        and row["published"] is not None
        and row["reproduced"] is not None
    )
    return row


def compare(entry: dict, tables: Tables, ctx: Context) -> list[dict]:
    """Every row of one reference, judged and settled."""
    rows = []
    for group, item in enumerate(entry["items"]):
        published = {**entry["setting"], **item.get("setting", {})}
        for row in KINDS.get(item["kind"])(item, tables, ctx):
            row.update(target=item["target"], group=group, kind=item["kind"])
            rows.append(settle(gate(row, item, tables, ctx), item, published, ctx))
    return rows


# tables a run writes once per instance (tables/<name>_<instance>.csv), read as one
PER_INSTANCE = ("paired", "depth_sweep", "saliency_shift", "saliency_pairs")


def run_tables(run_dir) -> dict[str, list[Path]]:
    """A finished run's tables by the name the comparison reads them under (the files the
    paper_comparison rule is given), for scripts that judge a run again."""
    run_dir = Path(run_dir)
    tables: dict[str, list[Path]] = {}
    for path in sorted((run_dir / "tables").glob("*.csv")):
        name = next((t for t in PER_INSTANCE if path.stem.startswith(f"{t}_")), path.stem)
        tables.setdefault(name, []).append(path)
    tables["attack_summary"] = [run_dir / "attacks" / "summary.csv"]
    return tables


def read_tables(paths: dict) -> dict[str, pd.DataFrame]:
    """name -> CSV path(s) as name -> one frame."""
    return {name: _read_all(p) for name, p in paths.items() if p}


def _read_all(paths) -> pd.DataFrame:
    paths = [paths] if isinstance(paths, str) else list(paths)
    return pd.concat([read_table(p) for p in paths], ignore_index=True)


def write_comparison(
    ref_path, keys, tables: dict, setting: dict, run: str, out_md, out_csv, spread=()
) -> pd.DataFrame:
    """Markdown for people, CSV for the report and the figure, both from the same rows.
    ``keys``: the references (``evaluation.paper`` as a list, checked before any job by
    :func:`advsal.paper.reference.check_paper_keys`); ``tables``: name -> CSV path(s) of the
    tables this run makes; ``setting``: :func:`advsal.paper.reference.run_setting`;
    ``spread``: the rows a seed spread of this config measured
    (:func:`advsal.paper.spread.spread_rows`; those the seed decides leave the counts)."""
    ref = load_reference(ref_path)
    ctx = Context(setting, ref)
    frames = read_tables(tables)
    tab = Tables(frames, ctx.attack_types, ctx.features)
    sections = [
        (key, ref["references"][key], compare(ref["references"][key], tab, ctx)) for key in keys
    ]
    for key, _, rows in sections:
        mark_unstable(key, rows, list(spread), counted=(LIKE_FOR_LIKE, ACROSS))
    io.write_text(out_md, comparison_markdown(sections, run, ctx, spread=bool(spread)))
    frame = comparison_frame(sections)
    io.write_csv(out_csv, frame)
    return frame


def comparison_frame(sections) -> pd.DataFrame:
    records = [
        {"paper": key, **row, "row": "cell" if row["cell"] else "claim"}
        for key, _, rows in sections
        for row in rows
    ]
    frame = pd.DataFrame(records, columns=[*COLUMNS, "cell"])
    frame["difference"] = frame["reproduced"].astype(float) - frame["published"].astype(float)
    frame.loc[frame["row"] == "claim", "difference"] = float("nan")
    return frame[COLUMNS]
