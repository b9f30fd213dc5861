"""YAML read with libyaml's C parser where PyYAML has it: the same safe loader's types, about
ten times faster than the pure-Python parser (every Snakemake start reads the config files, the
schema and the paper reference; `bench/startup.py`)."""

from __future__ import annotations

import yaml

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str):
    """``yaml.safe_load(text)``, parsed by libyaml where it is installed."""
    return yaml.load(text, Loader=LOADER)
