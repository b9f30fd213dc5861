"""Load a run's config: the ``--configfile`` files (or ``config.yaml`` when none is given,
never both), then the ``--config`` overrides, then the schema (:mod:`.check`); completing it
(:mod:`.complete`) checks every reference. Jobs re-resolve the same way from the same command
line, so a cluster job sees exactly the config of the run that spawned it."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

from advsal import yamlload
from advsal.config.check import check_schema
from advsal.errors import ConfigError

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_CONFIG = ROOT / "config.yaml"


def resolve(
    configfiles: Iterable = (), overrides: Mapping | None = None, default=DEFAULT_CONFIG
) -> dict:
    """The whole config of a run, validated to its references (:func:`load`, then
    :func:`advsal.plan.instances.complete` on a copy, whose errors name the key)."""
    return validate(load(configfiles, overrides, default))


def validate(config: dict) -> dict:
    """Check ``config`` against the schema (filling its defaults) and every instance
    reference; returns ``config``, nothing derived written into it."""
    from advsal.plan.instances import complete  # the plan resolves references; config checks

    check_schema(config)
    complete(config)  # on a copy: every reference resolves and every setting constructs
    return config


def load(
    configfiles: Iterable = (), overrides: Mapping | None = None, default=DEFAULT_CONFIG
) -> dict:
    """A run's config, checked against the schema, its references not yet: the Snakefile
    builds its :class:`advsal.plan.Plan` from this, whose completion checks them (once).
    ``configfiles`` replace ``default`` (merged in order among themselves); ``overrides``
    (Snakemake's ``--config``) go on top, their string values read as YAML so
    ``classifiers={"f": {"epochs": 11}}`` gives the integer 11."""
    files = [Path(f) for f in configfiles] or [Path(default)]
    config: dict = {}
    for f in files:
        try:
            loaded = yamlload.safe_load(f.read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"config error in {f}: {exc}".replace("\n", " ")) from None
        if not isinstance(loaded, dict):
            raise ConfigError(f"config error in {f}: the top level must be a mapping")
        merge(config, unalias(loaded))
    merge(config, typed(dict(overrides or {})))
    _overlay_hint(config, files, Path(default))
    return check_schema(config)


def _overlay_hint(config: dict, files: list[Path], default: Path) -> None:
    """An overlay (a file with only the keys a user changes) given alone: one line saying how
    to layer it on the defaults, instead of the schema's first missing key."""
    from advsal.config.check import load_schema

    lacking = [k for k in load_schema().get("required", []) if k not in config]
    if not lacking or any(f.resolve() == default.resolve() for f in files):
        return
    names = " ".join(_shown(f) for f in files)
    raise ConfigError(
        f"config error in {names}: no {', '.join(repr(k) for k in lacking)} (an overlay of "
        f"changed keys?): layer it on the defaults with --configfile {_shown(default)} {names}"
    )


def merge(base: dict, extra: Mapping) -> dict:
    """Recursive dict update (Snakemake's rule for --config on top of a file)."""
    for k, v in extra.items():
        if isinstance(v, Mapping) and isinstance(base.get(k), dict):
            merge(base[k], v)
        else:
            base[k] = copy.deepcopy(v)
    return base


def unalias(value):
    """A copy with no shared sub-objects: YAML anchors (``*name``) alias one mapping, which
    completing one instance in place would change in every instance that shares it."""
    if isinstance(value, Mapping):
        return {k: unalias(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unalias(v) for v in value]
    return value


def typed(value):
    """Snakemake parses nested ``--config`` values as strings; read each leaf as YAML."""
    if isinstance(value, Mapping):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    if isinstance(value, str):
        try:
            return yamlload.safe_load(value)
        except yaml.YAMLError:
            return value
    return value


def locate(
    err: Exception, configfiles: Iterable = (), overrides: Mapping | None = None, default=None
) -> str:
    """``err``'s one line, prefixed with where its key is set: the last of ``configfiles`` (or
    ``default`` when none is given) that sets the longest part of the key's path, or
    ``--config`` when the overrides set it; a key no file sets (a schema default) is named
    with the last file read."""
    message = str(err)
    files = [Path(f) for f in configfiles] or ([Path(default)] if default else [])
    match = re.match(r"config error at ([^:]+):", message)
    if not files or not match:
        return message
    parts = [int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", match.group(1))]

    def depth(tree) -> int:
        n = 0
        for p in parts:
            if isinstance(tree, Mapping) and p in tree:
                tree = tree[p]
            elif isinstance(tree, list) and isinstance(p, int) and p < len(tree):
                tree = tree[p]
            else:
                break
            n += 1
        return n

    found, best = files[-1], 0
    for f in files:
        try:
            tree = yamlload.safe_load(f.read_text()) or {}
        except (OSError, yaml.YAMLError):
            continue
        if depth(tree) >= max(best, 1):
            found, best = f, depth(tree)
    if overrides and depth(typed(dict(overrides))) >= max(best, 1):
        return f"--config: {message}"
    return f"{_shown(found)}: {message}"


def _shown(path: Path) -> str:
    """``path`` as the user would type it: relative to the working directory when under it
    (Snakemake hands the config files over as absolute paths)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
