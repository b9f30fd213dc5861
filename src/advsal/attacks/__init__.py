"""Attacks by name: one module per family, one ``@ATTACKS.register`` per attack."""

from advsal.attacks import cw as _cw  # noqa: F401  (registers cw)
from advsal.attacks import deepfool as _deepfool  # noqa: F401  (deepfool, deepfool_linf)
from advsal.attacks import dynamic as _dynamic  # noqa: F401  (dynamic)
from advsal.attacks import gradient as _gradient  # noqa: F401  (fgsm, bim, bim_l2)
from advsal.attacks import jsma as _jsma  # noqa: F401  (jsma)
from advsal.attacks import momentum as _momentum  # noqa: F401  (mim)
from advsal.attacks import spatial as _spatial  # noqa: F401  (stadv)
from advsal.attacks import whitebox as _whitebox  # noqa: F401  (whitebox)
from advsal.attacks.base import ATTACKS, Attack, perturbation_stats

__all__ = ["ATTACKS", "ATTACK_KEYS", "Attack", "attack_params", "perturbation_stats"]

# keys of an attack instance that the pipeline reads; the rest go to the attack's constructor
ATTACK_KEYS = (
    "type",
    "eps",
    "classifier",
    "against",
    "against_fit",
    "sigma",
    "training",
    "test_limit",
    "seeds",
)


def attack_params(spec: dict) -> dict:
    """An attack's constructor arguments: its settings less the pipeline's keys."""
    return {k: v for k, v in spec.items() if k not in ATTACK_KEYS}
