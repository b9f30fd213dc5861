"""Device choice, seeding and logging shared by every stage."""

from __future__ import annotations

import contextlib
import logging
import os
import random
import sys
from collections.abc import Iterator

log = logging.getLogger("advsal")


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


@contextlib.contextmanager
def log_to(path: str | None) -> Iterator[None]:
    """Send logging, warnings and stderr (tqdm bars) of a Snakemake job to its log file."""
    if not path:
        yield
        return
    with open(path, "w", buffering=1) as fh:
        handler = logging.StreamHandler(fh)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        root = logging.getLogger()
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        logging.captureWarnings(True)
        old_err = sys.stderr
        sys.stderr = fh
        try:
            yield
        except BaseException:
            log.exception("job failed")
            raise
        finally:
            sys.stderr = old_err
            root.removeHandler(handler)
