"""Rule figure_examples: Zhang Fig. 1 for the first attack at its chosen eps."""

from advsal.runtime import log_to
from advsal.stages import examples_figure

inp = snakemake.input
with log_to(snakemake.log[0]):
    examples_figure(
        snakemake.config,
        snakemake.params.attack,
        inp.data,
        inp.model,
        inp.chosen,
        inp.sal_clean,
        list(inp.adv),
        list(inp.saliency),
        snakemake.output[0],
        snakemake.params.plots,
    )
