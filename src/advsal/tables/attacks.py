"""The attack jobs' statistics as one table, a row per (attack, eps, split), and each attack's
chosen eps (the smallest of its grid that brings f's accuracy below the threshold)."""

from __future__ import annotations

import pandas as pd

from advsal import io
from advsal.tables import read_table


def attack_summary(stats_paths, out_csv, chosen_csv=None, evaluation=None) -> pd.DataFrame:
    """Each attack job's statistics (``<split>.json``) as a row; with ``chosen_csv``, each
    attack's chosen eps by the run's rule (``evaluation``: ``accuracy_threshold`` and
    ``select_on``), decided here once for every table, sweep and figure that reads it."""
    frame = pd.DataFrame([io.read_json(p) for p in stats_paths])
    io.write_csv(out_csv, frame)
    if chosen_csv is not None:
        from advsal.metrics import choose_eps  # scikit-learn, only here

        rule = (evaluation["accuracy_threshold"], evaluation["select_on"])
        # from the CSV as every reader of the summary gets it (eps as path tokens)
        io.write_csv(chosen_csv, choose_eps(read_table(out_csv), *rule))
    return frame
