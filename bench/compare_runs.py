"""Two finished runs of one config, file by file: every table, the paper comparison, every
evaluation cell and attack statistic (byte for byte), and every checkpoint and tensor file
(``.pt``, byte for byte). A refactor that must not change results (issue 22) shows an empty
difference here.

    python bench/compare_runs.py before/results/mnist5k after/results/mnist5k

Figures, logs and benchmarks are left out (they hold times and renderer details), and so are
the CSV columns that are wall times (``*seconds``: the SDP's time per image). Exit status 1 when
anything differs.
"""

from __future__ import annotations

import sys
from pathlib import Path

COMPARED = ("*.csv", "*.md", "*.json", "*.pt")
SKIPPED = ("logs", "benchmarks", "figures")


def files(root: Path) -> dict[str, Path]:
    out = {}
    for pattern in COMPARED:
        for f in root.rglob(pattern):
            rel = f.relative_to(root)
            if rel.parts[0] not in SKIPPED:
                out[str(rel)] = f
    return out


def timed_columns_only(a: Path, b: Path) -> bool:
    """Two CSVs that differ only in their wall-time columns."""
    import pandas as pd

    da, db = pd.read_csv(a), pd.read_csv(b)
    timed = [c for c in da.columns if str(c).endswith("seconds")]
    return bool(timed) and da.drop(columns=timed).equals(db.drop(columns=timed, errors="ignore"))


def same_file(a: Path, b: Path) -> bool:
    if a.read_bytes() == b.read_bytes():
        return True
    return a.suffix == ".csv" and timed_columns_only(a, b)


def compare(a: Path, b: Path) -> dict[str, list[str]]:
    fa, fb = files(a), files(b)
    same = sorted(k for k in fa.keys() & fb.keys() if same_file(fa[k], fb[k]))
    return {
        "same": same,
        "differ": sorted(k for k in fa.keys() & fb.keys() if k not in same),
        "only_first": sorted(fa.keys() - fb.keys()),
        "only_second": sorted(fb.keys() - fa.keys()),
    }


def main(a: str, b: str) -> int:
    result = compare(Path(a), Path(b))
    kinds = {}
    for k in result["same"]:
        kinds[Path(k).suffix] = kinds.get(Path(k).suffix, 0) + 1
    print(f"identical: {len(result['same'])} files ({kinds})")
    for key in ("differ", "only_first", "only_second"):
        for k in result[key]:
            print(f"{key}: {k}")
    return int(any(result[k] for k in ("differ", "only_first", "only_second")))


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
