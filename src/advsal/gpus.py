"""Which GPU a job runs on: each concurrent job holds one device slot for its whole life.

Snakemake's ``gpu`` resource says how many torch jobs run at once (``--resources gpu=N``); it
does not say which device each one takes. Here every job claims a slot: an exclusive
``flock`` on ``<lock dir>/<scope>/gpu<device>.<slot>.lock`` held by the open file until the
process ends, so a finished, failed or killed (``kill -9``) job frees its slot at once. Slots
go to the device with the fewest jobs, and ``per_gpu`` slots exist per device: ``ceil(N / G)``
for N concurrent jobs on G visible devices (``make run JOBS_PER_GPU=k`` gives N = G * k).

Devices are the ones this process may see: ``CUDA_VISIBLE_DEVICES`` when set (as a SLURM job's
allocation sets it), else every device torch counts; lock names use the entry itself (an index
or a UUID), never torch's renumbered index, so two runs that see different subsets do not
collide (but one run naming a GPU by index and another by UUID do not see each other's locks).
Inside a SLURM allocation the scope is the allocation (``SLURM_JOB_ID``): jobs of one
allocation share its devices, and separate allocations on one node never wait on each other
(each sees its own devices, often all numbered 0). The Snakefile fixes the lock directory for
its jobs (``ADVSAL_GPU_LOCK_DIR``): Snakemake gives each job the ``TMPDIR`` of its rule's
``tmpdir`` resource, which could differ between rules.

The host's GPU count is read without importing torch (``host_gpu_count``), so the Snakefile can
set a rule's ``gpu`` resource to 0 on a host without one (then ``--resources gpu=N`` does not
hold back CPU jobs).
"""

from __future__ import annotations

import fcntl
import math
import os
import re
import tempfile
import time
from pathlib import Path

# the total `gpu` resource of the run, set by the Snakefile for its jobs (local executor)
JOBS_ENV = "ADVSAL_GPU_JOBS"
# a host without NVIDIA's driver files (ROCm, containers) can state its count here
HOST_ENV = "ADVSAL_HOST_GPUS"
LOCK_DIR_ENV = "ADVSAL_GPU_LOCK_DIR"
DRIVER = Path("/proc/driver/nvidia/gpus")  # one entry per GPU while NVIDIA's driver is loaded

_held: list = []  # (index, open lock file) of this process's slot: released when it ends


def visible_ids(count: int | None = None) -> list[str]:
    """The devices this process may use, as the names the locks take: the entries of
    ``CUDA_VISIBLE_DEVICES`` when set, else ``0 .. count-1``."""
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is not None:
        ids = [part.strip() for part in env.split(",") if part.strip()]
        # CUDA stops at the first invalid entry ("-1", "NoDevFiles" mean none)
        out = []
        for part in ids:
            if part.startswith("-") or part == "NoDevFiles":
                break
            out.append(part)
        return out if count is None else out[:count]
    return [str(i) for i in range(count or 0)]


def host_gpu_count() -> int:
    """GPUs on this host that a job here could use, without importing torch (~2 s): the
    ``ADVSAL_HOST_GPUS`` override, else the NVIDIA driver's device list, cut to
    ``CUDA_VISIBLE_DEVICES`` when that is set."""
    if os.environ.get(HOST_ENV, "").strip():
        return int(os.environ[HOST_ENV])
    n = len(list(DRIVER.iterdir())) if DRIVER.is_dir() else 0
    if n and os.environ.get("CUDA_VISIBLE_DEVICES") is not None:
        n = min(n, len(visible_ids()))
    return n


def per_gpu(jobs: int | None, devices: int) -> int:
    """Slots per device for ``jobs`` concurrent GPU jobs over ``devices`` devices (unknown or
    unbounded jobs: one per device)."""
    if not jobs or devices <= 0:
        return 1
    return max(1, math.ceil(jobs / devices))


def default_lock_root() -> Path:
    return Path(tempfile.gettempdir()) / f"advsal-gpu-{os.getuid()}"


def lock_dir() -> Path:
    """``<root>/<scope>``: the root from ``ADVSAL_GPU_LOCK_DIR`` (the Snakefile sets it for its
    jobs) or ``default_lock_root()``; the scope ``host`` or ``slurm-<allocation>``."""
    root = os.environ.get(LOCK_DIR_ENV) or default_lock_root()
    scope = f"slurm-{os.environ['SLURM_JOB_ID']}" if os.environ.get("SLURM_JOB_ID") else "host"
    path = Path(root) / scope
    path.mkdir(parents=True, exist_ok=True)
    return path


def _try(path: Path, mark: bool = True):
    """The lock file, open and locked, or None if another process holds it."""
    fh = open(path, "a+")  # noqa: SIM115  (held open for the life of the process)
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        return None
    if mark:  # the holder's pid, for a person looking
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
    return fh


def _lock_name(name: str) -> str:
    """A device's name as a file name (MIG names hold '/')."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def claim(
    count: int,
    slots: int = 1,
    *,
    directory: Path | None = None,
    poll: float = 0.5,
    timeout: float | None = None,
    on_wait=None,
) -> int:
    """Hold a slot on one of ``count`` visible devices for the rest of this process and return
    its index (torch's numbering): a free slot on the device with the fewest jobs, the lowest
    index among equals. A process that holds one gets the same again. Waits while every slot is
    held (``on_wait`` is called once with the number of slots); raises ``TimeoutError`` after
    ``timeout`` seconds."""
    if _held:
        return _held[0][0]
    ids = visible_ids(count)
    if len(ids) < count:  # CUDA_VISIBLE_DEVICES lists fewer than torch counts: trust torch
        ids += [str(i) for i in range(len(ids), count)]
    directory = directory or lock_dir()
    start, told = time.monotonic(), False
    while True:
        free: dict[int, list[Path]] = {}  # device index -> its free slots' lock files
        for index, name in enumerate(ids):
            for slot in range(slots):
                path = directory / f"gpu{_lock_name(name)}.{slot}.lock"
                probe = _try(path, mark=False)
                if probe is not None:  # free: let go at once, so others probing see it free
                    probe.close()
                    free.setdefault(index, []).append(path)
        if free:
            best = max(free, key=lambda i: (len(free[i]), -i))  # most free slots: fewest jobs
            for path in free[best]:
                fh = _try(path)
                if fh is not None:
                    _held.append((best, fh))
                    return best
            continue  # another job took them between the look and the lock: look again
        if timeout is not None and time.monotonic() - start > timeout:
            raise TimeoutError(f"no free GPU slot among {count} x {slots} after {timeout} s")
        if not told and on_wait is not None:
            on_wait(count * slots)
            told = True
        time.sleep(poll)
