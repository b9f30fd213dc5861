"""The attack jobs' statistics as one table: a row per (attack, eps, split)."""

from __future__ import annotations

import pandas as pd

from advsal import io


def attack_summary(stats_paths, out_csv) -> pd.DataFrame:
    """Each attack job's statistics (``<split>.json``) as a row."""
    frame = pd.DataFrame([io.read_json(p) for p in stats_paths])
    io.write_csv(out_csv, frame)
    return frame
