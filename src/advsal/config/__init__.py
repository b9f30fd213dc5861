"""A run's config, one module per step: :mod:`load` reads the files and the ``--config``
overrides, :mod:`check` validates them (the schema, which holds every default value, and the
registries), :mod:`complete` derives every instance reference (which classifier an attack
targets, what each detector is fitted to, what a retraining attack meets and, for those only,
its seeds and sigma grid) into a copy. The user's config is never written to
except for the schema's defaults; what is planned from it is :class:`advsal.plan.Plan`.
"""

from advsal.config.check import dataset_shape, key_path
from advsal.config.complete import against_fit, complete, retrains
from advsal.config.load import load, locate, resolve, validate
from advsal.errors import ConfigError

__all__ = [
    "ConfigError",
    "against_fit",
    "complete",
    "dataset_shape",
    "retrains",
    "key_path",
    "load",
    "locate",
    "resolve",
    "validate",
]
