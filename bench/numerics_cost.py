"""The cost of portable numerics (advsal.numerics) on the default, side by side: two whole runs
of the same config at the same time on the same cores, one `numerics: portable`, one `native`,
each in its own folder; the ratio of the CPU seconds their jobs logged (each job's log ends with
its exact CPU time) and of their wall times. Each run takes about twice its alone time (the two
share the cores).

    python bench/numerics_cost.py --workdir /tmp/numerics [--config config.yaml] [--cores 2]

A finished folder is not run again (Snakemake finds nothing to do); its jobs' logs still count.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODES = ("portable", "native")


def job_cpu(run: Path) -> tuple[float, int]:
    """The CPU seconds every job of a run logged, and how many jobs."""
    cpu = [
        float(m.group(1))
        for log in run.glob("results/*/logs/**/*.log")
        for m in re.finditer(r"job usage: wall [0-9.]+ s, cpu ([0-9.]+) s", log.read_text())
    ]
    return sum(cpu), len(cpu)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/advsal-numerics"))
    ap.add_argument("--config", nargs="+", default=["config.yaml"])
    ap.add_argument("--cores", type=int, default=2)
    args = ap.parse_args()
    procs, start, wall = {}, time.monotonic(), {}
    for mode in MODES:
        out = args.workdir / mode
        out.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "snakemake", "--cores", str(args.cores)]
        cmd += ["-s", str(ROOT / "Snakefile"), "--directory", str(out), "--configfile"]
        cmd += [str(ROOT / c) for c in args.config] + ["--config", f"numerics={mode}"]
        log = (out / "snakemake.log").open("w")
        procs[mode] = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    for mode, proc in procs.items():
        if proc.wait() != 0:
            raise SystemExit(f"{mode}: snakemake failed, see {args.workdir / mode}/snakemake.log")
        wall[mode] = time.monotonic() - start
    cpu = {mode: job_cpu(args.workdir / mode) for mode in MODES}
    for mode in MODES:
        print(f"{mode}: {cpu[mode][1]} jobs, {cpu[mode][0]:.0f} job CPU-s, wall {wall[mode]:.0f} s")
    print(
        f"portable / native: job CPU {cpu['portable'][0] / cpu['native'][0]:.2f}x, "
        f"wall {wall['portable'] / wall['native']:.2f}x (side by side)"
    )


if __name__ == "__main__":
    main()
