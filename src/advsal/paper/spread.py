"""Our own seed spread in the comparison: bench/seed_spread.py runs a config at several seeds and
writes, per compared row, the reproduced value's spread and the verdict at each seed, with the
digest of what the numbers depend on (the config but its seed and its presentation). A run of
that config reads the rows (the paper_comparison rule's param), and the comparison keeps every
row whose verdict the seed decides out of the counts:

- *unstable*: the spread measured it, and its holds / fails differs between seeds;
- *unmeasured*: the config has a spread, but not of this row (a row added since): its
  stability is unknown, so it is not counted either.

A config without any spread (a preset, the tests' config) is counted as one seed and its first
screen says so. A row is identified by its whole identity (paper, item, target, where, quantity
and its place among rows that share all of these), so two items that share a target and a
quantity (the 2020 paper's Fig. 2: a ranking claim and "SPD outperforms") keep their own marks.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path

from advsal.paper.reference import ROOT

SPREAD = ROOT / "bench" / "seed_spread.csv"
KEY = ("paper", "group", "target", "where", "quantity")
# what a run's numbers do not depend on: its seed (what the spread varies), the figures'
# settings, the cluster's sizes (but the threads: CPU kernels sum in their order) and where the
# run is written
PRESENTATION = ("seed", "plots", "resources", "results", "run")
UNSTABLE, UNMEASURED = "unstable", "unmeasured"


def config_digest(config: dict) -> str:
    """The config but its seed and presentation (:data:`PRESENTATION`), as a short digest: what
    a seed spread was measured for; a plot setting does not re-plan the comparison."""
    rest = {k: v for k, v in config.items() if k not in PRESENTATION}
    rest["threads"] = (config.get("resources") or {}).get("threads")
    return hashlib.sha256(json.dumps(rest, sort_keys=True, default=str).encode()).hexdigest()[:16]


def identity(row: dict, paper: str | None = None) -> tuple[str, ...]:
    """A compared row's identity but its place among twins (:func:`with_places` adds it); the
    run's own numbers in a quantity's label are left out (:func:`stable_label`)."""
    values = {**row, "paper": paper or row["paper"]}
    out = {k: _text(values[k]) for k in KEY}
    out["quantity"] = stable_label(out["quantity"])
    return tuple(out[k] for k in KEY)


_NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?")


def stable_label(quantity: str) -> str:
    """A quantity's label with its numbers as #: "best attachment depth (accuracy 0.998; ...)"
    names the same row at every seed (rows it then merges keep their order, by place)."""
    return _NUMBER.sub("#", quantity)


def _text(value) -> str:
    """A key's value as a CSV round trip gives it back (an empty cell for None or NaN)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)


def with_places(keys: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Each identity with its place among the identical ones before it (0, 1, ...)."""
    seen: dict[tuple[str, ...], int] = {}
    out = []
    for k in keys:
        out.append((*k, str(seen.get(k, 0))))
        seen[k] = seen.get(k, 0) + 1
    return out


def spread_rows(config: dict, path: str | Path = SPREAD) -> list[dict]:
    """Every row a seed spread of this very config (but its seed and presentation) measured,
    each with whether it is unstable; none where no spread was measured for it. Read with the
    csv module: the Snakefile asks at every start, and pandas would cost each start half a
    second."""
    path = Path(path)
    if not path.exists():
        return []
    digest = config_digest(config)
    with path.open(newline="") as fh:
        mine = [r for r in csv.DictReader(fh) if r.get("config") == digest]
    return [
        {
            **{k: r.get(k, "") for k in (*KEY, "place")},
            "min": _float(r["min"]),
            "max": _float(r["max"]),
            "unstable": r.get("unstable", "").lower() == "true",
            "verdicts": ", ".join(
                f"{c.removeprefix('verdict_')} {v}"
                for c, v in r.items()
                if c.startswith("verdict_") and v
            ),
        }
        for r in mine
    ]


def _float(text: str) -> float | None:
    return float(text) if text not in ("", None) else None


def mark_unstable(key: str, rows: list[dict], spread: list[dict], counted: tuple[str, ...]) -> int:
    """Take the rows of one paper whose verdict the seed decides out of the counts: the basis
    of a counted row (``counted``) becomes :data:`UNSTABLE` or, where the config has a spread
    but not of this row, :data:`UNMEASURED`; its note says why. How many were taken out."""
    for r in rows:
        r["unstable"] = False
    if not spread:
        return 0
    found = {(*identity(u, key), u["place"]): u for u in spread if u["paper"] == key}
    taken = 0
    for r, ident in zip(rows, with_places([identity(r, key) for r in rows]), strict=True):
        u = found.get(ident)
        if r.get("basis") not in counted:
            continue
        if u is None:
            r["basis"], r["pooled"] = UNMEASURED, False
            note = "not in this config's seed spread (bench/seed_spread.py): stability unknown"
        elif u["unstable"]:
            r["basis"], r["pooled"], r["unstable"] = UNSTABLE, False, True
            span = ""
            if u["min"] is not None and u["max"] is not None:
                span = f" (reproduced {u['min']:.3g}-{u['max']:.3g})"
            note = f"unstable across seeds: {u['verdicts']}{span}"
        else:
            continue
        r["reason"] = "; ".join(p for p in (r["reason"], note) if p)
        taken += 1
    return taken
