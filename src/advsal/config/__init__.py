"""A run's config, one module per step: :mod:`load` reads the files and the ``--config``
overrides, :mod:`check` validates them (the schema, which holds every default value, and the
registries) and fills the schema's defaults; nothing else. The user's config is never written
to except for those defaults. Resolving its references (which classifier an attack targets,
what each detector is fitted to, what a retraining attack meets, the grids) is planning:
:mod:`advsal.plan.instances`, which :func:`validate` runs on a copy so that a bad reference is
one line naming the key before any job; what is planned from it is :class:`advsal.plan.Plan`.
"""

from advsal.config.check import dataset_shape, key_path
from advsal.config.load import load, locate, resolve, validate
from advsal.errors import ConfigError

__all__ = [
    "ConfigError",
    "dataset_shape",
    "key_path",
    "load",
    "locate",
    "resolve",
    "validate",
]
