"""Our own seed spread: the default run at several seeds, each judged by the paper comparison,
and per compared row the spread of the reproduced value and the verdict at each seed
(bench/seed_spread.csv). A row whose verdict differs between seeds is unstable: its verdict is
decided by the seed, not by the method.

    python bench/seed_spread.py --seeds 0 1 2 --workdir /tmp/seeds [--config config.yaml]

Each seed is a whole run (about 12 minutes on 2 cores) in <workdir>/seed<k>; a finished one is
not run again (Snakemake finds nothing to do). Seed 0 may be the run in results/ already.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from advsal.config import load
from advsal.paper.spread import KEY, config_digest, stable_label
from advsal.provenance import record

ROOT = Path(__file__).resolve().parents[1]


def run_seed(seed: int, workdir: Path, configs: list[str], cores: int) -> Path:
    """One whole run at ``seed``; its paper_comparison.csv."""
    out = workdir / f"seed{seed}"
    out.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "--cores",
        str(cores),
        "-s",
        str(ROOT / "Snakefile"),
        "--directory",
        str(out),
        "--configfile",
        *[str(ROOT / c) for c in configs],
        "--config",
        f"seed={seed}",
    ]
    subprocess.run(cmd, check=True)
    found = sorted(out.glob("results/*/paper_comparison.csv"))
    if len(found) != 1:
        raise SystemExit(f"seed {seed}: expected one paper_comparison.csv under {out}, got {found}")
    return found[0]


def read_comparison(path: Path) -> pd.DataFrame:
    """A paper_comparison.csv with its key columns as the text they hold (no "NA" read as
    missing, no "8" read as 8.0), so they match the rows a later run marks."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["reproduced"] = pd.to_numeric(frame["reproduced"], errors="coerce")
    return frame


def spread(frames: dict[int, pd.DataFrame]) -> pd.DataFrame:
    """Per compared row: the reproduced value's min, max and std over seeds, each seed's
    verdict, and whether the verdicts differ (only holds / fails count)."""
    key = list(KEY)
    parts = []
    for seed, frame in frames.items():
        f = frame.copy()
        f[key] = f[key].fillna("").astype(str)
        f["quantity"] = f["quantity"].map(stable_label)  # the run's numbers out of the key
        f["place"] = f.groupby(key, sort=False).cumcount()  # among rows of one whole identity
        parts.append(f[[*key, "place", "reproduced", "verdict"]].assign(seed=seed))
    long = pd.concat(parts, ignore_index=True)
    wide = long.pivot_table(
        index=[*key, "place"], columns="seed", values="verdict", aggfunc="first"
    ).add_prefix("verdict_seed")
    stats = long.groupby([*key, "place"])["reproduced"].agg(["min", "max", "std"])
    out = stats.join(wide).reset_index()
    # unstable: holds at one seed and fails at another, or judged at one seed and not at
    # another (not run, not comparable), or absent at a seed (its where names a measured value)
    seen = out.filter(like="verdict_seed")
    judged = seen.apply(lambda r: {v for v in r if v in ("holds", "fails")}, axis=1)
    other = seen.apply(lambda r: any(v not in ("holds", "fails") for v in r), axis=1)
    out["unstable"] = (judged.map(len) > 1) | ((judged.map(len) > 0) & other)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/advsal-seeds"))
    ap.add_argument("--config", nargs="+", default=["config.yaml"])
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "seed_spread.csv")
    ap.add_argument(
        "--have",
        nargs="*",
        default=[],
        metavar="SEED=CSV",
        help="a seed already run with this config: its paper_comparison.csv (e.g. the default's "
        "0=results/mnist5k/paper_comparison.csv)",
    )
    args = ap.parse_args()
    have = {int(k): Path(v) for k, v in (h.split("=", 1) for h in args.have)}
    frames = {
        s: read_comparison(have.get(s) or run_seed(s, args.workdir, args.config, args.cores))
        for s in args.seeds
    }
    table = spread(frames)
    # the config it measured, less the seed: a run of the same config reads these rows
    config = load([ROOT / c for c in args.config], {})
    table.insert(0, "config", config_digest(config))
    table.to_csv(args.out, index=False)
    # the code and numerics that made it: tests/test_recorded.py checks them
    args.out.with_suffix(".json").write_text(
        json.dumps({**record(config, comparison=True), "seeds": args.seeds}, indent=1) + "\n"
    )
    n = int(table["unstable"].sum())
    print(f"{len(table)} compared rows over seeds {args.seeds}: {n} unstable -> {args.out}")


if __name__ == "__main__":
    main()
