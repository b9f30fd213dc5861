"""The fixed cost of a pipeline job before it computes anything, side by side in one run.

Every Snakemake job is a fresh Python process: it pays for ``import torch`` and, in a training
job, for building its optimiser. ``torch.optim``'s optimisers import ``torch._dynamo`` when
built (~2 s here); ``advsal.optim`` applies the same updates without it. Each case runs in a
fresh interpreter, the cases taking turns, best of ``--repeats``. Prints a table (seconds and
the ratio to ``import torch`` alone) and writes it as CSV.

    .venv/bin/python bench/startup.py [--repeats 5] [--out bench/startup.csv]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", default="bench/startup.csv")
    args = ap.parse_args()
    best = {name: float("inf") for name in CASES}
    for _ in range(args.repeats):
        for name, code in CASES.items():
            best[name] = min(best[name], _seconds(code))
    frame = pd.DataFrame({"case": list(best), "seconds": list(best.values())})
    frame["vs_import_torch"] = frame["seconds"] / best["import torch"]
    frame.to_csv(args.out, index=False)
    print(frame.round(3).to_string(index=False))


if __name__ == "__main__":
    main()
