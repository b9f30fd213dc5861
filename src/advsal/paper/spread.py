"""Our own seed spread in the comparison: bench/seed_spread.py runs a config at several seeds and
writes, per compared row, the reproduced value's spread and the verdict at each seed, with the
digest of the config it measured (every key but the seed). A run of that config reads the rows
whose verdict differs between seeds (the paper_comparison rule's param) and the comparison marks
them "unstable": their verdict is the seed's, not the method's."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

from advsal.paper.reference import ROOT

SPREAD = ROOT / "bench" / "seed_spread.csv"
KEY = ("paper", "target", "where", "quantity")


def config_digest(config: dict) -> str:
    """The config without its seed, as a short digest: what a seed spread was measured for."""
    rest = {k: v for k, v in config.items() if k != "seed"}
    return hashlib.sha256(json.dumps(rest, sort_keys=True, default=str).encode()).hexdigest()[:16]


def unstable_rows(config: dict, path: str | Path = SPREAD) -> list[dict]:
    """The rows a seed spread of this very config (but its seed) found unstable; none where no
    spread was measured for it. Read with the csv module: the Snakefile asks at every start,
    and pandas would cost each start half a second."""
    path = Path(path)
    if not path.exists():
        return []
    digest = config_digest(config)
    with path.open(newline="") as fh:
        mine = [
            r
            for r in csv.DictReader(fh)
            if r.get("config") == digest and r.get("unstable", "").lower() == "true"
        ]
    return [
        {
            **{k: r[k] for k in KEY},
            "min": float(r["min"]),
            "max": float(r["max"]),
            "verdicts": ", ".join(
                f"{c.removeprefix('verdict_')} {v}"
                for c, v in r.items()
                if c.startswith("verdict_") and v
            ),
        }
        for r in mine
    ]


def mark_unstable(key: str, rows: list[dict], unstable: list[dict]) -> int:
    """Note the spread on each of one paper's rows that is unstable across seeds; how many."""
    found = {tuple(u[k] for k in KEY): u for u in unstable if u["paper"] == key}
    marked = 0
    for r in rows:
        u = found.pop((key, r["target"], str(r["where"]), str(r["quantity"])), None)
        r["unstable"] = u is not None
        if u is not None:
            note = (
                f"unstable across seeds: {u['verdicts']} (reproduced {u['min']:.3g}-{u['max']:.3g})"
            )
            r["reason"] = "; ".join(p for p in (r["reason"], note) if p)
            marked += 1
    return marked
