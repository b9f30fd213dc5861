"""Attacks by name: one module per family, one ``@ATTACKS.register`` per attack."""

from functools import cache
from pathlib import Path

from advsal.attacks.base import ATTACKS, Attack, perturbation_stats
from advsal.registry import import_modules

__all__ = ["ATTACKS", "Attack", "attack_params", "perturbation_stats", "pipeline_keys"]

SCHEMA = Path(__file__).resolve().parents[3] / "workflow" / "schemas" / "config.schema.yaml"


@cache
def _attack_properties() -> dict:
    from advsal import yamlload

    schema = yamlload.safe_load(SCHEMA.read_text())
    return schema["properties"]["attacks"]["additionalProperties"]["properties"]


def pipeline_keys(retraining_only: bool = False) -> tuple[str, ...]:
    """The keys of an attack instance the pipeline reads, declared once: the attack schema's
    properties less those marked ``x-constructor`` (or only those marked ``x-retraining``)."""
    props = _attack_properties()
    if retraining_only:
        return tuple(k for k, v in props.items() if v.get("x-retraining"))
    return tuple(k for k, v in props.items() if not v.get("x-constructor"))


def attack_params(spec: dict) -> dict:
    """An attack's constructor arguments: its settings less the pipeline's keys."""
    keys = pipeline_keys()
    return {k: v for k, v in spec.items() if k not in keys}


# last, so that a module may import what this package defines above
import_modules(__name__, __path__)  # each module registers its attacks (fgsm, bim, ...)
