"""Where a run's CPU goes: Snakemake's own process against its jobs, and how busy the cores are.

Runs one command (``snakemake ...`` or ``make run ...``) and measures, for the whole run:

- ``wall_s``: its wall time;
- ``total_cpu_s``: the CPU seconds of every process it started (its reaped descendants, from
  ``getrusage(RUSAGE_CHILDREN)``: Snakemake, every job, make);
- ``snakemake_cpu_s``: Snakemake's own process (all its threads: scheduling, DAG updates, the
  ``benchmark:`` samplers, writing each ``script:`` job's preamble), read from ``/proc`` each
  ``--interval`` seconds and last just before it exits;
- ``jobs_cpu_s`` = total - Snakemake's own; ``jobs_share`` = jobs' CPU / (cores x wall), the
  goal being >= 0.9; ``snakemake_share`` = Snakemake's own / total, the goal <= 0.05.

Appends one row to ``--out`` (CSV) and prints it. Time two settings side by side (one after the
other, same machine, same day) and compare ratios, not seconds.

    python bench/overhead.py --label before --cores 2 -- \
        .venv/bin/snakemake --cores 2 --resources gpu=1 --configfile config/tiny.yaml
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import psutil


def _is_snakemake(proc: psutil.Process) -> bool:
    try:
        cmd = proc.cmdline()
    except psutil.Error:
        return False
    return any(Path(part).name == "snakemake" for part in cmd[:2]) or cmd[1:3] == [
        "-m",
        "snakemake",
    ]


class SnakemakeWatch(threading.Thread):
    """Follows the outermost Snakemake process under ``root`` and keeps its latest own CPU
    seconds (user + system, not its children)."""

    def __init__(self, root: int, interval: float):
        super().__init__(daemon=True)
        self.root, self.interval = psutil.Process(root), interval
        self.proc: psutil.Process | None = None
        self.cpu = 0.0
        self.done = threading.Event()

    def _find(self) -> psutil.Process | None:
        try:
            tree = [self.root, *self.root.children(recursive=True)]
        except psutil.Error:
            return None
        return next((p for p in tree if _is_snakemake(p)), None)

    def run(self) -> None:
        while not self.done.is_set():
            if self.proc is None:
                self.proc = self._find()
            if self.proc is not None:
                try:
                    times = self.proc.cpu_times()
                    self.cpu = max(self.cpu, times.user + times.system)
                except psutil.Error:
                    pass  # gone: the last reading stands
            self.done.wait(self.interval)


def measure(command: list[str], cores: int, interval: float = 0.2) -> dict:
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(command)
    watch = SnakemakeWatch(proc.pid, interval)
    watch.start()
    if command and Path(command[0]).name == "snakemake":
        # Snakemake is the child itself: wait without reaping, read its final CPU, then reap
        os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
        times = psutil.Process(proc.pid).cpu_times()
        watch.cpu = max(watch.cpu, times.user + times.system)
    rc = proc.wait()
    wall = time.perf_counter() - start
    watch.done.set()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    jobs = total - watch.cpu
    return {
        "rc": rc,
        "wall_s": round(wall, 1),
        "cores": cores,
        "total_cpu_s": round(total, 1),
        "snakemake_cpu_s": round(watch.cpu, 1),
        "jobs_cpu_s": round(jobs, 1),
        "snakemake_share": round(watch.cpu / total, 4) if total else None,
        "jobs_share": round(jobs / (cores * wall), 4),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--label", required=True, help="what this run is (e.g. before, after)")
    ap.add_argument("--cores", type=int, default=os.cpu_count())
    ap.add_argument("--interval", type=float, default=0.2, help="seconds between /proc reads")
    ap.add_argument("--out", default=str(Path(__file__).with_name("overhead.csv")))
    ap.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command to run")
    args = ap.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        ap.error("no command given (put it after --)")
    row = {"label": args.label, **measure(command, args.cores, args.interval)}
    row["command"] = " ".join(command)
    out = Path(args.out)
    frame = pd.DataFrame([row])
    frame.to_csv(out, mode="a", header=not out.exists(), index=False)
    print(frame.T.to_string(header=False))
    return row["rc"]


if __name__ == "__main__":
    sys.exit(main())
