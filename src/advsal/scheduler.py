"""Snakemake's own process, where it has no option: the Snakefile calls these (bench/README.md,
"Snakemake's own share"; bench/overhead.py measures the effect). The workflow profile
(profiles/default) sets the rest: the greedy scheduler and how often Snakemake re-plans.

Both hooks reach into Snakemake (pinned in constraints.txt) and raise rather than go quiet when
what they touch is gone; tests/test_runtime.py checks them.
"""

from __future__ import annotations

import threading

from advsal.errors import AdvsalError


def sample_benchmarks_every(seconds: float) -> None:
    """Make Snakemake's ``benchmark:`` sampler read a job's memory every ``seconds`` during its
    first 30 samples (Snakemake's: 0.5 s; every 30 s after that either way). The sampler runs in
    Snakemake's own process and reads every job process's memory maps; its module constant is
    read at each sample."""
    import snakemake.benchmark

    if not hasattr(snakemake.benchmark, "BENCHMARK_INTERVAL_SHORT"):
        raise AdvsalError("snakemake.benchmark.BENCHMARK_INTERVAL_SHORT is gone: update advsal")
    snakemake.benchmark.BENCHMARK_INTERVAL_SHORT = float(seconds)


def stop_replanning() -> int:
    """At the end of a run (``onsuccess``/``onerror``): cancel the scheduler's pending re-plan
    timers. Snakemake arms one (a non-daemon ``threading.Timer``) per scheduling round for its
    ``--max-jobs-per-timespan`` window, and Python waits for it before exiting: with the
    profile's 100 s window a finished run would sit up to 100 s. Returns how many it cancelled."""
    timers = [t for t in threading.enumerate() if isinstance(t, threading.Timer) and t.is_alive()]
    for timer in timers:
        timer.cancel()
    return len(timers)
