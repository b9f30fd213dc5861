"""Rule evaluate_detector: every fitted detector of an instance on every (attack, eps) test set.
Inputs ``fit``, ``adv`` and ``sal`` are lists, by (attack, eps) in ``params.lists``."""

from advsal.runtime import log_to
from advsal.stages.common import Job, named_inputs
from advsal.stages.detector import evaluate_detector

inp, p = snakemake.input, snakemake.params
named = named_inputs(inp, p.lists)
with log_to(snakemake.log[0]):
    evaluate_detector(
        Job.of_rule(snakemake, snakemake.wildcards.detector),
        named["fit"],
        {c: (adv, named.get("sal", {}).get(c)) for c, adv in named["adv"].items()},
        snakemake.output[0],
        combined=p.combined,
    )
