"""What every job does around its work (its exact usage line at exit), and the Snakefile's hooks
into Snakemake's own process (advsal.scheduler)."""

from __future__ import annotations

import re
import subprocess
import sys
import threading

import pytest
import snakemake.benchmark

from advsal.errors import AdvsalError
from advsal.scheduler import sample_benchmarks_every, stop_replanning

# a job that holds ~300 MB and burns ~1 s of CPU, then exits through log_to
JOB = """
import sys, time
from advsal.runtime import log_to
with log_to(sys.argv[1], "t"):
    block = bytearray(300 * 2**20)
    block[:: 4096] = b"x" * len(block[:: 4096])
    end = time.process_time() + 1.0
    while time.process_time() < end:
        pass
"""


def test_every_job_log_ends_with_its_exact_usage(tmp_path):
    log = tmp_path / "job.log"
    subprocess.run([sys.executable, "-c", JOB, str(log)], check=True)
    last = log.read_text().strip().splitlines()[-1]
    got = re.search(r"job usage: wall ([\d.]+) s, cpu ([\d.]+) s, peak rss (\d+) MB", last)
    assert got, last
    wall, cpu, rss = float(got[1]), float(got[2]), int(got[3])
    assert cpu >= 1.0 and wall >= cpu * 0.9
    assert 300 <= rss < 2000


def test_benchmark_sampling_interval_is_set_in_snakemakes_module(monkeypatch):
    monkeypatch.setattr(snakemake.benchmark, "BENCHMARK_INTERVAL_SHORT", 0.5)
    sample_benchmarks_every(5)
    assert snakemake.benchmark.BENCHMARK_INTERVAL_SHORT == 5.0
    monkeypatch.delattr(snakemake.benchmark, "BENCHMARK_INTERVAL_SHORT")
    with pytest.raises(AdvsalError, match="BENCHMARK_INTERVAL_SHORT is gone"):
        sample_benchmarks_every(5)


def test_stop_replanning_cancels_pending_timers():
    fired = []
    timer = threading.Timer(60, lambda: fired.append(1))
    timer.start()
    assert stop_replanning() >= 1
    timer.join(5)
    assert not timer.is_alive() and not fired
