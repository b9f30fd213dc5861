"""The fixed cost of a pipeline job before it computes anything, side by side in one run.

Every Snakemake job is a fresh Python process: it pays for ``import torch`` and, in a training
job, for building its optimiser. ``torch.optim``'s optimisers import ``torch._dynamo`` when
built (~1.5 s here); ``advsal.optim`` applies the same updates without it. Each case runs in a
fresh interpreter, the cases taking turns, best of ``--repeats``. Prints a table (seconds and
the ratio to ``import torch`` alone) and writes it as CSV.

``--jobs N`` adds what that costs a Snakemake run: ``script:`` jobs that only import torch
against jobs that import nothing, two at a time on two cores. Seconds of slot per job are a run
of 2N jobs less a run of N (Snakemake's own start cancels out), times two, over N; so
Snakemake's handling of a job is told apart from the interpreter's start.

    .venv/bin/python bench/startup.py [--repeats 5] [--jobs 20] [--out bench/startup.csv]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

NET = "net = torch.nn.Linear(4, 2)\n"
CASES = {
    "import torch": "import torch\n",
    "+ advsal training stack": "import torch\nimport advsal.stages.detector\n",
    "+ torch.optim.Adam": "import torch\n" + NET + "torch.optim.Adam(net.parameters())\n",
    "+ advsal.optim.Adam": "import torch\nfrom advsal.optim import Adam\n"
    + NET
    + "Adam(net.parameters())\n",
}


def _seconds(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


SNAKEFILE = """
rule all:
    input: expand("out/{kind}/{i}.txt", kind=["nothing", "torch"], i=range(JOBS))
rule job:
    output: "out/{kind}/{i}.txt"
    script: "job_{wildcards.kind}.py"
"""
JOB = 'open(snakemake.output[0], "w").write("done")\n'


def _slot_per_job(jobs: int) -> dict:
    """Seconds of slot per Snakemake job (two cores) for jobs that import nothing / torch: a run
    of 2N jobs less a run of N, so Snakemake's own start cancels out."""
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "Snakefile").write_text(f"JOBS = {3 * jobs}\n" + SNAKEFILE)
        (work / "job_nothing.py").write_text(JOB)
        (work / "job_torch.py").write_text("import torch  # noqa: F401\n" + JOB)
        for kind in ("nothing", "torch"):
            wall = []
            for first, count in ((0, jobs), (jobs, 2 * jobs)):
                targets = [f"out/{kind}/{i}.txt" for i in range(first, first + count)]
                # targets first: --quiet takes several values and would swallow them
                cmd = [
                    sys.executable,
                    "-m",
                    "snakemake",
                    *targets,
                    "--cores",
                    "2",
                    "--quiet",
                    "all",
                ]
                start = time.perf_counter()
                subprocess.run(cmd, cwd=work, check=True, capture_output=True)
                wall.append(time.perf_counter() - start)
            out[f"snakemake job importing {kind} (slot s per job)"] = 2 * (wall[1] - wall[0]) / jobs
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=20, help="Snakemake jobs per kind (0: skip)")
    ap.add_argument("--out", default="bench/startup.csv")
    args = ap.parse_args()
    best = {name: float("inf") for name in CASES}
    for _ in range(args.repeats):
        for name, code in CASES.items():
            best[name] = min(best[name], _seconds(code))
    if args.jobs:
        best |= _slot_per_job(args.jobs)
    frame = pd.DataFrame({"case": list(best), "seconds": list(best.values())})
    frame["vs_import_torch"] = frame["seconds"] / best["import torch"]
    frame.to_csv(args.out, index=False)
    print(frame.round(3).to_string(index=False))


if __name__ == "__main__":
    main()
