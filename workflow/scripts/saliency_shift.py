"""Rule saliency_shift: distances between clean and adversarial maps of one saliency instance
(model_based_saliency2020 Table 1), and between two attacks' maps of one image (its Table 5).
Inputs ``adv`` and ``sal`` are lists, by (attack, eps) in ``params.lists``."""

from advsal.runtime import log_to
from advsal.stages.common import Job, named_inputs
from advsal.stages.saliency import saliency_shift

inp, p = snakemake.input, snakemake.params
named = named_inputs(inp, p.lists)
with log_to(snakemake.log[0]):
    saliency_shift(
        Job.of_rule(snakemake, snakemake.wildcards.saliency),
        {c: (adv, named["sal"][c]) for c, adv in named["adv"].items()},
        snakemake.output.shift,
        snakemake.output.pairs,
    )
