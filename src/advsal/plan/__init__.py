"""What a run plans, in one place: :class:`Plan` (instances, grids, fits, settings, targets),
:class:`~advsal.plan.paths.Paths` (where each file lives),
:class:`~advsal.plan.inputs.Inputs` (what each job reads, by name) and
:data:`~advsal.plan.outputs.OUTPUTS` (each table and figure, once). Built once from the
validated config by ``workflow/rules/common.smk``; tested in ``tests/test_plan.py``.
"""

from advsal.plan.core import Plan, run_name
from advsal.plan.inputs import Inputs, Named
from advsal.plan.outputs import OUTPUTS, TABLES
from advsal.plan.paths import SPLITS, VERSIONS, Paths

__all__ = [
    "OUTPUTS",
    "SPLITS",
    "TABLES",
    "VERSIONS",
    "Inputs",
    "Named",
    "Paths",
    "Plan",
    "run_name",
]
