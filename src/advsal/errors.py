"""Errors meant for the person running the pipeline: a job ends with their one-line message."""


class AdvsalError(Exception):
    """Base of the errors a job reports as one line instead of a traceback."""


class ConfigError(AdvsalError, ValueError):
    """A config value that cannot be used; the message names its key."""


class CheckpointError(AdvsalError, RuntimeError):
    """A checkpoint that is missing, truncated, unsafe or not what advsal wrote."""


class DataUnavailable(AdvsalError, RuntimeError):
    """The data cannot be had here; the message says which files to place where."""


def key_path(parts) -> str:
    """Where in a config (or any YAML file) an error is: ``attacks.bim.eps[0]``."""
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"
