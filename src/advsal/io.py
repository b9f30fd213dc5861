"""Atomic writes and safe checkpoint loading.

Every artefact is written to a temporary file beside its target and renamed into place, so a
killed job never leaves a truncated file under the final name.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class CheckpointError(RuntimeError):
    """A checkpoint that is missing, truncated or not what advsal wrote."""


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; rename it onto ``path`` on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json(path: str | os.PathLike, obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")


def read_json(path: str | os.PathLike) -> Any:
    return json.loads(Path(path).read_text())


def write_csv(path: str | os.PathLike, frame) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def save_tensors(path: str | os.PathLike, obj: dict) -> None:
    """torch.save through a temporary file. ``obj`` holds tensors, numbers, strings, dicts."""
    import torch

    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def load_tensors(path: str | os.PathLike, expect: tuple[str, ...] = ()) -> dict:
    """Load with ``weights_only=True``; any failure becomes one clear CheckpointError."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle/zip errors differ by torch version; one message for all
        raise CheckpointError(
            f"{path}: corrupted or unreadable checkpoint ({type(exc).__name__}); "
            "delete it and re-run the rule that makes it"
        ) from exc
    if not isinstance(obj, dict) or any(k not in obj for k in expect):
        raise CheckpointError(f"{path}: not an advsal file (expected keys {list(expect)})")
    return obj
