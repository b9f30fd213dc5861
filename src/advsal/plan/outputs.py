"""The run's outputs, each declared once: the file, the rule that makes it, which instances of
the run it spans (or the condition under which the run plans it), and the name the paper
comparison reads it by. The run's final targets and the comparison's inputs are derived from
this catalogue (:func:`final_targets`, :func:`compared`); adding a table or figure is one entry
here, its rule and its script (docs/extending.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from advsal.plan.paths import SHIFT_TABLES, Paths

if TYPE_CHECKING:
    from advsal.plan.core import Plan

# the tables of rule `tables`, in its output order
TABLES = (
    "table1",
    "eps_matrix",
    "cross_attack",
    "attack_accuracy",
    "perturbation",
    "detectability",
    "fit_test",
    "combined",
)


@dataclass(frozen=True)
class Output:
    """One table or figure (or, with ``each``, one per instance).

    ``name`` is the file's name under ``tables/`` or ``figures/``, with ``{}`` for the instance
    where ``each`` names the :class:`~advsal.plan.core.Plan` attribute listing the instances
    (another file: ``path(paths, instance)`` spells it, ``name`` only labels it);
    ``when`` names a Plan attribute that must be true for the run to plan it (neither: always);
    ``compared`` is the input name the paper comparison reads it by (a list where ``each``)."""

    name: str
    rule: str
    kind: str = "table"  # "table" or "figure"; another file: ``path`` spells it
    each: str | None = None
    when: str | None = None
    compared: str | None = None
    path: Callable[[Paths, str], str] | None = None

    def instances(self, plan: Plan) -> list[str | None]:
        if self.each:
            return list(getattr(plan, self.each))
        return [None] if self.when is None or getattr(plan, self.when) else []

    def file(self, paths: Paths, instance: str | None = None) -> str:
        if self.path is not None:
            return self.path(paths, instance)
        name = self.name.format(instance) if self.each else self.name
        return paths.table(name) if self.kind == "table" else paths.figure(name)

    def files(self, plan: Plan) -> list[str]:
        return [self.file(plan.paths, i) for i in self.instances(plan)]


def _figure(name: str, rule: str, **how) -> Output:
    return Output(name, rule, kind="figure", **how)


OUTPUTS: tuple[Output, ...] = (
    Output(
        "classifier_metrics",
        "train_classifier",
        each="classifiers",
        path=lambda p, c: p.classifier(c, "metrics.json"),
    ),
    Output(
        "attack_summary",
        "attack_summary",
        compared="attack_summary",
        path=lambda p, _: p.attack_summary,
    ),
    Output("chosen_eps", "attack_summary", compared="chosen_eps"),  # each attack's, once
    *(Output(t, "tables", compared=t) for t in TABLES),
    _figure("eps_matrix_{}", "figure_eps_matrix", each="eps_matrix_detectors"),
    _figure("cross_attack", "figure_cross_attack"),
    _figure("detectability", "figure_detectability"),
    _figure("fit_test", "figure_fit_test", when="explicit_fits"),
    _figure("examples_{}", "figure_examples", each="examples_saliencies"),
    *(
        Output(
            f"saliency_{t}_{{}}",
            "saliency_shift",
            each="shift_saliencies",
            compared=f"saliency_{t}",
        )
        for t in SHIFT_TABLES
    ),
    _figure("classifier_training_{}", "figure_classifier_training", each="classifiers"),
    Output("depth_sweep_{}", "depth_sweep", each="depth_detectors", compared="depth_sweep"),
    _figure("depth_sweep_{}", "figure_depth_sweep", each="depth_detectors"),
    Output("adaptive", "dynamic_tables", when="dynamic", compared="adaptive"),
    _figure("dynamic", "figure_dynamic", when="dynamic"),
    Output("whitebox", "whitebox_table", when="whitebox", compared="whitebox"),
    _figure("whitebox", "figure_whitebox", when="whitebox"),
    Output("paired_{}", "paired_table", each="paired_detectors", compared="paired"),
    _figure("paired_{}", "figure_paired", each="paired_detectors"),
    Output("layer_study", "layer_study", when="layer_study", compared="layer_study"),
    _figure("layer_study", "figure_layer_study", when="layer_study"),
    Output("certified", "certified_table", when="nets", compared="certified"),
    _figure("certified", "figure_certified", when="nets"),
    Output("comparison_md", "paper_comparison", path=lambda p, _: f"{p.comparison}.md"),
    Output("comparison_csv", "paper_comparison", path=lambda p, _: f"{p.comparison}.csv"),
    _figure("paper_{}", "figure_paper", each="papers"),
)


def final_targets(plan: Plan) -> list[str]:
    """Every output the run plans, in catalogue order."""
    return [f for out in OUTPUTS for f in out.files(plan)]


def compared(plan: Plan) -> dict:
    """The outputs the paper comparison may read, by its names: a file, or for an output per
    instance the list of the run's (none planned: not named)."""
    files = {}
    for out in OUTPUTS:
        if out.compared and (planned := out.files(plan)):
            files[out.compared] = planned if out.each else planned[0]
    return files
