"""Portable numerics (advsal.numerics): each variable takes effect in a fresh interpreter (the
libraries' own verbose logs say what they run), the tests' process runs the portable kernels,
and a job refuses to run portable without them."""

from __future__ import annotations

import os

import pytest
import torch

from advsal import numerics
from advsal.errors import AdvsalError


def _env(mode: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in numerics.PORTABLE}
    numerics.apply(mode, env)
    return env


def test_each_portable_variable_takes_effect_in_a_fresh_process():
    native, portable = numerics.probe(_env("native")), numerics.probe(_env("portable"))
    # ATen's kernels at AVX2, whatever the host's best (AVX-512 on these machines)
    assert portable["aten"] == "AVX2", portable
    # oneDNN reports the instruction set it dispatches to: AVX2, never AVX-512
    assert "AVX2" in portable["onednn"] and "512" not in portable["onednn"], portable
    # MKL's reproducibility branch: SSE2's, the one MKL keeps alike on every vendor's CPU
    assert portable["mkl"] == "COMPATIBLE" and native["mkl"] == "OFF", (native, portable)
    # without them the host's own choice comes back (on an AVX-512 host: not AVX2)
    assert native["aten"] and native["onednn"], native


def test_a_variable_set_from_outside_is_replaced_and_reported():
    env = {"MKL_CBWR": "AVX2", "ATEN_CPU_CAPABILITY": "avx2"}
    replaced = numerics.apply("portable", env)
    assert replaced == {"MKL_CBWR": "AVX2"}
    assert env["MKL_CBWR"] == "COMPATIBLE" and env[numerics.MODE_ENV] == "portable"
    # native leaves the host's own settings alone
    own = {"MKL_CBWR": "AVX2"}
    assert numerics.apply("native", own) == {} and own["MKL_CBWR"] == "AVX2"
    with pytest.raises(AdvsalError, match="numerics: 'fast'"):
        numerics.apply("fast", {})


@pytest.mark.skipif(
    os.environ.get(numerics.MODE_ENV) == "native", reason="ADVSAL_NUMERICS=native: no AVX2 here"
)
def test_the_tests_own_process_runs_the_portable_kernels():
    """conftest sets the variables before torch loads: the unit tests compute as the jobs do."""
    record = numerics.check()
    assert record["numerics"] == "portable" and record["aten"] == "AVX2", record
    assert "ATen AVX2" in numerics.describe(record)


def test_a_portable_job_without_its_variables_or_without_avx2_is_one_line(monkeypatch):
    monkeypatch.delenv("MKL_CBWR")
    with pytest.raises(AdvsalError, match=r"MKL_CBWR=\(unset\).*numerics: native"):
        numerics.check()
    monkeypatch.setenv("MKL_CBWR", "COMPATIBLE")
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "DEFAULT")
    with pytest.raises(AdvsalError, match="needs an x86-64 CPU with AVX2.*DEFAULT"):
        numerics.check()
    # native runs whatever the host has, and says so
    monkeypatch.setenv(numerics.MODE_ENV, "native")
    assert "native" in numerics.describe(numerics.check())
