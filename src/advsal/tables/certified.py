"""Nguyen 2018 Fig. 6 as a table: per two-layer net, fooled counts and certified counts."""

from __future__ import annotations

import math

import pandas as pd

from advsal import io
from advsal.runtime import progress


def summary_row(name: str, metrics: dict, attacked: pd.DataFrame, certs: pd.DataFrame) -> dict:
    """One model's row of the Fig. 6 table."""
    both = attacked.merge(certs[["index", "certified", "worst"]], on="index")
    sdp = certs.dropna(subset=["sdp_worst"])
    n = len(attacked)
    return {
        "model": name,
        "weight": metrics["weight"],
        "side": metrics["side"],
        "test_acc": metrics["test_acc"],
        "attacked": n,
        "correct": int(attacked["correct"].sum()),
        "fooled": int(attacked["fooled"].sum()),
        "fooled_rate": float(attacked["fooled"].mean()) if n else math.nan,
        "fooled_of_correct": float(attacked["fooled"].sum() / max(attacked["correct"].sum(), 1)),
        "median_flow_loss": float(attacked.loc[attacked["fooled"], "flow_loss"].median()),
        "certified": int(both["certified"].sum()),
        "certified_rate": float(both["certified"].mean()) if n else math.nan,
        "certified_fooled": int((both["certified"] & both["fooled"]).sum()),
        "median_worst": float(both["worst"].median()),
        "sdp_images": len(sdp),
        "sdp_certified": int((sdp["sdp_worst"] < 0).sum()),
        "sdp_gap": float((sdp["worst"] - sdp["sdp_worst"]).mean()) if len(sdp) else math.nan,
        "sdp_seconds": float(sdp["sdp_seconds"].mean()) if len(sdp) else math.nan,
    }


def certified_table(models: dict, out_csv, *, eps: float, budget: float) -> pd.DataFrame:
    """``models``: name -> (metrics.json, attack CSV, certificate CSV)."""
    rows = [
        summary_row(name, io.read_json(m), pd.read_csv(a), pd.read_csv(c))
        for name, (m, a, c) in models.items()
    ]
    frame = pd.DataFrame(rows).assign(cert_eps=eps, attack_eps=budget)
    io.write_csv(out_csv, frame)
    progress.info("Fig. 6:\n%s", frame.to_string(index=False))
    return frame
