"""Device choice, seeding and logging shared by every stage."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import random
import sys
from collections.abc import Iterator

from advsal import gpus, numerics
from advsal.errors import AdvsalError

log = logging.getLogger("advsal")
# lines a person wants on the console while a long job runs (also written to the job's log)
progress = logging.getLogger("advsal.progress")


def pick_device(prefer: str = "auto"):
    """CUDA when present (or asked for), CPU otherwise. On CUDA the job holds one device slot
    for its life (``advsal.gpus``): concurrent jobs spread over the visible GPUs, at most
    ``ceil(N / G)`` on one, for the run's ``--resources gpu=N`` (``ADVSAL_GPU_JOBS``)."""
    import torch

    if prefer == "cpu":
        return torch.device("cpu")
    if not torch.cuda.is_available():
        if prefer == "cuda":
            raise RuntimeError("device 'cuda' requested but torch sees no CUDA device")
        return torch.device("cpu")
    count = torch.cuda.device_count()
    jobs = os.environ.get(gpus.JOBS_ENV, "").strip()
    index = gpus.claim(
        count,
        gpus.per_gpu(int(jobs) if jobs.isdigit() else None, count),
        on_wait=lambda n: progress.info(
            "waiting for one of %d GPU slots (--resources gpu=N: N torch jobs share the GPUs)", n
        ),
    )
    torch.cuda.set_device(index)
    return torch.device("cuda", index)


def seed_everything(seed: int, threads: int | None = None, cuda: bool = False) -> None:
    """Seed python, numpy and torch. CPU kernels are deterministic for a fixed thread count;
    on CUDA, deterministic algorithms are switched on too (the call costs ~2 s, so only there)."""
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002  (third-party code may use the global RNG)
    torch.manual_seed(seed)
    if threads:
        torch.set_num_threads(int(threads))
    if cuda:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.backends.cudnn.benchmark = False
        torch.use_deterministic_algorithms(True, warn_only=True)


def job_seed(seed: int, *what) -> int:
    """The seed of a job: the config's seed and what the job computes (instance names, eps,
    split), never where its outputs are written."""
    digest = hashlib.sha256("\0".join(map(str, what)).encode()).digest()
    return (seed + int.from_bytes(digest[:4], "big")) % 2**31


def setup(seed: int, device: str, threads: int | None, *what):
    """Seed a job from what it computes and pick its device."""
    import torch

    record = numerics.check()  # portable: the kernels the Snakefile asked for, or one line
    dev = pick_device(device)
    seed_everything(job_seed(seed, *what), threads, cuda=dev.type == "cuda")
    log.info("device %s, torch %s, threads %s, job %s", dev, torch.__version__, threads, what)
    log.info("%s", numerics.describe(record))
    return dev


@contextlib.contextmanager
def log_to(path: str | None, name: str = "") -> Iterator[None]:
    """Run a Snakemake job: logging, warnings and stderr go to its log file (progress there as
    lines, :mod:`advsal.meter`), ``progress`` lines to the console as well, and an error meant
    for the user (a bad checkpoint, missing data) ends the job with that one line instead of a
    traceback."""
    if not path:
        yield
        return
    console = logging.StreamHandler(sys.stdout)
    console.setFormatter(logging.Formatter(f"[{name}] %(message)s" if name else "%(message)s"))
    with open(path, "w", buffering=1) as fh:
        handler = logging.StreamHandler(fh)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        root = logging.getLogger()
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        progress.addHandler(console)
        logging.captureWarnings(True)
        old_err = sys.stderr
        sys.stderr = fh
        try:
            yield
        except AdvsalError as err:
            log.error("%s", err)
            sys.exit(f"advsal: {err}")  # printed on the console once stderr is restored
        except BaseException:
            log.exception("job failed")
            raise
        finally:
            with contextlib.suppress(Exception):  # never hide the job's own error
                log.info("%s", job_usage())
            sys.stderr = old_err
            root.removeHandler(handler)
            progress.removeHandler(console)


def job_usage() -> str:
    """This process's exact totals so far: wall time since it started, CPU seconds and peak
    resident memory (the kernel's, not sampled). Every job's log ends with this line; Snakemake's
    ``benchmark:`` file samples memory only every few seconds (docs/running.md, "GPUs and
    cores")."""
    import resource
    import time

    import psutil

    usage = resource.getrusage(resource.RUSAGE_SELF)
    wall = time.time() - psutil.Process().create_time()
    return (
        f"job usage: wall {wall:.1f} s, cpu {usage.ru_utime + usage.ru_stime:.1f} s, "
        f"peak rss {usage.ru_maxrss / 1024:.0f} MB"
    )
