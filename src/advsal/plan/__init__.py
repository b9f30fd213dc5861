"""What a run plans, in one place: :class:`Plan` (instances, grids, fits, settings, targets),
:class:`~advsal.plan.paths.Paths` (where each file lives) and
:class:`~advsal.plan.inputs.Inputs` (what each job reads, by name). Built once from the
validated config by ``workflow/rules/common.smk``; tested in ``tests/test_plan.py``.
"""

from advsal.plan.core import TABLES, Plan, run_name
from advsal.plan.inputs import Inputs, Named
from advsal.plan.paths import SPLITS, VERSIONS, Paths

__all__ = ["SPLITS", "TABLES", "VERSIONS", "Inputs", "Named", "Paths", "Plan", "run_name"]
