"""Every item of the chosen references judged on the run's tables, then settled against the
setting it was published on: a row on another setting than the paper's, this project's
extension or a value true by construction is "not comparable" (its outcome kept in the reason),
and only like-for-like cells enter the mean and the verdict counts."""

from __future__ import annotations

import pandas as pd

from advsal import io
from advsal.paper.kinds import FAILS, HOLDS, KINDS, NOT_COMPARABLE, Tables
from advsal.paper.markdown import comparison_markdown
from advsal.paper.reference import Context, load_reference
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
    "verdict",
    "reason",
    "setting",
    "pooled",
]


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def settle(row: dict, item: dict, published: dict, ctx: Context) -> dict:
    """Make a judged row not comparable where it is not like-for-like (keeping what it would
    say), and say whether it enters the pooled mean."""
    row["setting"] = ""
    if row["verdict"] in (HOLDS, FAILS):
        outcome = "hold" if row["verdict"] == HOLDS else "fail"
        det = row["keys"].get("detector")
        types = item.get("detector_types")
        construction = item.get("by_construction", {})
        differs = item.get("differs")
        why = ""
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
                    row["reason"] = _join(
                        row["reason"],
                        f"on another setting ({row['setting']}), comparable: {across}",
                    )
                else:
                    why = f"proxy: {row['setting']}"
        if why:
            row["verdict"] = NOT_COMPARABLE
            row["reason"] = _join(why, f"here it would {outcome}", row["reason"])
    row["pooled"] = bool(
        row["cell"]
        and row["verdict"] in (HOLDS, FAILS)
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
            rows.append(settle(row, item, published, ctx))
    return rows


def _read_all(paths) -> pd.DataFrame:
    paths = [paths] if isinstance(paths, str) else list(paths)
    return pd.concat([read_table(p) for p in paths], ignore_index=True)


def write_comparison(
    ref_path, keys, tables: dict, setting: dict, run: str, out_md, out_csv
) -> pd.DataFrame:
    """Markdown for people, CSV for the report and the figure, both from the same rows.
    ``keys``: the references (``evaluation.paper`` as a list, checked before any job by
    :func:`advsal.paper.reference.check_paper_keys`); ``tables``: name -> CSV path(s) of the
    tables this run makes; ``setting``: :func:`advsal.paper.reference.run_setting`."""
    ref = load_reference(ref_path)
    ctx = Context(setting, ref)
    frames = {name: _read_all(paths) for name, paths in tables.items() if paths}
    tab = Tables(frames, ctx.attack_types, ctx.features)
    sections = [
        (key, ref["references"][key], compare(ref["references"][key], tab, ctx)) for key in keys
    ]
    io.write_text(out_md, comparison_markdown(sections, run, ctx))
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
