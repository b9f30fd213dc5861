"""Device choice, seeding and logging shared by every stage."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import random
import sys
from collections.abc import Iterator

from advsal.errors import AdvsalError

log = logging.getLogger("advsal")
# lines a person wants on the console while a long job runs (also written to the job's log)
progress = logging.getLogger("advsal.progress")


def pick_device(prefer: str = "auto"):
    """CUDA when present (or asked for), CPU otherwise."""
    import torch

    if prefer == "cpu":
        return torch.device("cpu")
    if prefer == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' requested but torch sees no CUDA device")
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


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

    dev = pick_device(device)
    seed_everything(job_seed(seed, *what), threads, cuda=dev.type == "cuda")
    log.info("device %s, torch %s, threads %s, job %s", dev, torch.__version__, threads, what)
    return dev


@contextlib.contextmanager
def log_to(path: str | None, name: str = "") -> Iterator[None]:
    """Run a Snakemake job: logging, warnings and stderr (tqdm bars) go to its log file,
    ``progress`` lines to the console as well, and an error meant for the user (a bad
    checkpoint, missing data) ends the job with that one line instead of a traceback."""
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
            sys.stderr = old_err
            root.removeHandler(handler)
            progress.removeHandler(console)
