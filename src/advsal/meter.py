"""Progress on long loops: a tqdm bar where a person watches a terminal, else (a job's log
file) a line per tenth of the work with the rate, which a log reader can read and grep."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger("advsal.meter")  # the job's log file only, not the console


def steps(
    items: Iterable[T], desc: str | None, total: int | None = None, lines: bool = True
) -> Iterator[T]:
    """``items`` as they are, with progress: a bar on a terminal, ten log lines elsewhere
    (none where ``lines`` is false: the caller logs its own, an epoch's say), nothing when
    ``desc`` is None."""
    if desc is None or (not lines and not sys.stderr.isatty()):
        yield from items
        return
    if sys.stderr.isatty():
        from tqdm.auto import tqdm

        yield from tqdm(items, desc=desc, total=total, mininterval=5)
        return
    total = total if total is not None else len(items)  # type: ignore[arg-type]
    start, next_tenth, done = time.perf_counter(), 1, 0
    for item in items:
        yield item
        done += 1
        if total and done * 10 >= next_tenth * total:
            rate = done / max(time.perf_counter() - start, 1e-9)
            log.info("%s: %d%% (%d/%d, %.3g it/s)", desc, 100 * done // total, done, total, rate)
            next_tenth = done * 10 // total + 1
