"""Rule figure_examples: Zhang Fig. 1 for one saliency instance, every attack at its chosen eps."""

from advsal.runtime import log_to
from advsal.stages.common import grouped_inputs
from advsal.stages.figures import examples_figure

inp = snakemake.input
named = grouped_inputs(inp.items())
with log_to(snakemake.log[0]):
    examples_figure(
        snakemake.wildcards.saliency,
        inp.data,
        inp.model,
        inp.chosen,
        inp.sal_clean,
        named["adv"],
        named["sal"],
        snakemake.output[0],
        snakemake.params.plots,
    )
