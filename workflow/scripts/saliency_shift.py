"""Rule saliency_shift: distances between clean and adversarial maps of one saliency instance
(model_based_saliency2020 Table 1), and between two attacks' maps of one image (its Table 5).
Inputs are named ``adv|attack|eps`` and ``sal|attack|eps``."""

from advsal.runtime import log_to
from advsal.stages.common import grouped_inputs
from advsal.stages.saliency import saliency_shift

inp, p = snakemake.input, snakemake.params
named = grouped_inputs(inp.items())
with log_to(snakemake.log[0]):
    saliency_shift(
        snakemake.wildcards.saliency,
        p.settings,
        inp.data,
        inp.model,
        inp.sal_clean,
        {c: (adv, named["sal"][c]) for c, adv in named["adv"].items()},
        snakemake.output.shift,
        snakemake.output.pairs,
        **p.runtime,
        threads=snakemake.threads,
    )
