"""Portable numerics: every job's torch CPU kernels at one instruction set, so that a run gives
the same bytes on any x86-64 host with AVX2 (every server of the last decade), not numbers that
move with the CPU it lands on (docs/running.md, "Portable numerics").

Three libraries pick their kernels by the instruction set they find, and round differently:
torch's own vectorised kernels (ATen), oneDNN (convolutions) and MKL (matrix products). Each
reads one environment variable once, at its first use, so the variables are set before any job
starts (the Snakefile sets them for every job it runs, local or on a cluster; the tests' conftest
for the tests' own process):

- ``ATEN_CPU_CAPABILITY=avx2``: ATen's kernels (checked in each job:
  ``torch.backends.cpu.get_cpu_capability()``);
- ``ONEDNN_MAX_CPU_ISA=AVX2``: oneDNN's JIT kernels at most AVX2;
- ``MKL_CBWR=COMPATIBLE``: MKL's conditional numerical reproducibility on its SSE2 branch, the
  one branch MKL documents as the same on Intel and non-Intel processors (its ``AVX2`` branch
  exists on Intel processors only: on an AMD host MKL falls back to ``AUTO``, a different
  rounding).

:func:`probe` runs a fresh interpreter with oneDNN's and MKL's verbose logs on and reads what each
library reports it runs (tests/test_numerics.py checks that every variable takes effect).
``numerics: native`` in the config leaves the host's kernels as they are (faster; numbers that
depend on the CPU). On CUDA, :func:`advsal.runtime.seed_everything` switches torch's deterministic
algorithms on and cuBLAS gets a fixed workspace (set here), so one GPU model repeats itself;
across GPU models the numbers move, within the seed spread the comparison carries.

Not covered: numpy's own SIMD dispatch and OpenBLAS (scipy, scikit-learn) run as the host has
them; they compute the tables' statistics from the jobs' outputs, not the training.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import MutableMapping

from advsal.errors import AdvsalError

MODES = ("portable", "native")
MODE_ENV = "ADVSAL_NUMERICS"  # the mode the jobs were started with (set beside the variables)

PORTABLE = {
    "ATEN_CPU_CAPABILITY": "avx2",
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    "MKL_CBWR": "COMPATIBLE",
}
CUDA = {"CUBLAS_WORKSPACE_CONFIG": ":4096:8"}  # cuBLAS's deterministic workspace (both modes)

# what ATen reports under ATEN_CPU_CAPABILITY=avx2 on a CPU that has AVX2
PORTABLE_ATEN = "AVX2"


def environment(mode: str) -> dict[str, str]:
    """The variables a job runs with under ``mode``."""
    if mode not in MODES:
        raise AdvsalError(f"numerics: {mode!r} is not one of {', '.join(MODES)}")
    return {MODE_ENV: mode, **CUDA, **(PORTABLE if mode == "portable" else {})}


def apply(mode: str, environ: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """Set ``mode``'s variables in ``environ`` (this process's environment), before torch loads;
    the values it replaced (a variable set from outside to something else), for the log. Under
    ``native`` the host's own settings, if any, are left as they are."""
    environ = os.environ if environ is None else environ
    replaced = {}
    for key, value in environment(mode).items():
        if key == "CUBLAS_WORKSPACE_CONFIG" and key in environ:
            continue  # a user's own deterministic workspace size is as good
        if environ.get(key, value) != value:
            replaced[key] = environ[key]
        environ[key] = value
    return replaced


def current() -> dict[str, str]:
    """What this process runs with: the mode, ATen's kernels and the variables (torch loaded);
    a job's log and the run's provenance record it."""
    import torch

    return {
        "numerics": os.environ.get(MODE_ENV, "native"),
        "aten": torch.backends.cpu.get_cpu_capability(),
        **{k: os.environ.get(k, "") for k in PORTABLE},
    }


def check() -> dict[str, str]:
    """Under ``portable``, that the variables are in place and ATen runs its AVX2 kernels; one
    line saying what to do where not (a CPU without AVX2, torch loaded before the variables were
    set). The record of :func:`current`."""
    record = current()
    if record["numerics"] != "portable":
        return record
    wrong = [f"{k}={record[k] or '(unset)'}" for k, v in PORTABLE.items() if record[k] != v]
    if wrong:
        raise AdvsalError(
            f"numerics: portable, but this job has {', '.join(wrong)}: run it through the "
            "Snakefile (it sets them) or set numerics: native"
        )
    if record["aten"] != PORTABLE_ATEN:
        raise AdvsalError(
            f"numerics: portable needs an x86-64 CPU with AVX2, and torch runs its "
            f"{record['aten']} kernels here: set numerics: native (numbers then depend on the CPU)"
        )
    return record


def describe(record: dict[str, str]) -> str:
    """A record as a log line."""
    if record.get("numerics") != "portable":
        return f"numerics native: the host's kernels (ATen {record.get('aten', '?')})"
    return (
        f"numerics portable: ATen {record['aten']}, oneDNN at most "
        f"{record['ONEDNN_MAX_CPU_ISA']}, MKL branch {record['MKL_CBWR']}"
    )


_PROBE = """
import torch
print("aten", torch.backends.cpu.get_cpu_capability())
a = torch.ones(64, 64)
a @ a
torch.nn.functional.conv2d(torch.ones(2, 3, 16, 16), torch.ones(8, 3, 3, 3))
"""


def probe(environ: dict[str, str] | None = None) -> dict[str, str]:
    """What a fresh interpreter with ``environ`` (this one's if None) runs: ATen's kernels, the
    instruction set oneDNN reports and MKL's reproducibility branch (their verbose logs)."""
    env = dict(os.environ if environ is None else environ)
    env.update(ONEDNN_VERBOSE="1", MKL_VERBOSE="1")
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True
    )
    out = proc.stdout + proc.stderr  # oneDNN's log goes to stderr
    found = {
        "aten": re.search(r"^aten (\S+)", out, re.M),
        "onednn": re.search(r"onednn_verbose.*,isa:([^\n]+)", out),
        "mkl": re.search(r"CNR:(\S+)", out),
    }
    return {k: m.group(1).strip() if m else "" for k, m in found.items()}


if __name__ == "__main__":  # python -m advsal.numerics: what each mode runs on this host
    for name in MODES:
        env = dict(os.environ)
        for key in PORTABLE:
            env.pop(key, None)
        apply(name, env)
        print(name, probe(env))
