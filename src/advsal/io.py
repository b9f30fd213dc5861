"""Atomic writes and safe checkpoint loading.

Every artefact is written to a temporary file beside its target and renamed into place, so a
killed job never leaves a truncated file under the final name.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import pickle
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from advsal.errors import CheckpointError

__all__ = ["CheckpointError", "atomic_path", "load_tensors", "save_tensors"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp creates files 0600; a finished output gets the mode any new file of the user gets
FILE_MODE = 0o666 & ~_umask()


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
        os.chmod(tmp_path, FILE_MODE)
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
    """A DataFrame, or a list of dicts (columns in first-seen order, None written empty, as
    pandas would) without importing pandas: ~0.3 s of every training job's start-up."""
    with atomic_path(path) as tmp:
        if isinstance(frame, list):
            columns = list(dict.fromkeys(k for row in frame for k in row))
            with open(tmp, "w", newline="") as fh:
                out = csv.DictWriter(fh, columns, lineterminator="\n")
                out.writeheader()
                out.writerows(
                    {k: "" if row.get(k) is None else row[k] for k in columns} for row in frame
                )
        else:
            frame.to_csv(tmp, index=False)


def save_tensors(path: str | os.PathLike, obj: dict) -> None:
    """torch.save through a temporary file. ``obj`` holds tensors, numbers, strings, dicts.

    The archive is built in memory: torch names a zip's records after the file it writes to,
    and the temporary name is random, so saving to the file directly would make two runs'
    checkpoints differ byte for byte."""
    import torch

    buf = io.BytesIO()
    torch.save(obj, buf)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buf.getvalue())


def load_tensors(path: str | os.PathLike, expect: tuple[str, ...] = ()) -> dict:
    """Load with ``weights_only=True``; any failure becomes one clear CheckpointError."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        found = re.search(r"(?:GLOBAL|global) ([\w.]+)", str(exc))
        if "Weights only load failed" in str(exc) and found:
            raise CheckpointError(
                f"{path}: unsafe checkpoint refused: it asks to run Python code "
                f"({found.group(1)}), which advsal never writes; do not load it"
            ) from None
        raise _corrupted(path, exc) from None
    except Exception as exc:  # zip/pickle errors differ by torch version; one message for all
        raise _corrupted(path, exc) from None
    if not isinstance(obj, dict) or any(k not in obj for k in expect):
        raise CheckpointError(f"{path}: not an advsal file (expected keys {list(expect)})")
    return obj


def _corrupted(path: Path, exc: Exception) -> CheckpointError:
    return CheckpointError(
        f"{path}: corrupted or unreadable checkpoint ({type(exc).__name__}); "
        "delete it and re-run the rule that makes it"
    )
