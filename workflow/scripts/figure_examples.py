"""Rule figure_examples: Zhang Fig. 1 for one saliency instance, every attack at its chosen eps."""

from advsal.runtime import log_to
from advsal.stages.figures import examples_figure

inp = snakemake.input
named = {tuple(k.split("|")): v for k, v in inp.items() if "|" in k}
with log_to(snakemake.log[0]):
    examples_figure(
        snakemake.wildcards.saliency,
        inp.data,
        inp.model,
        inp.chosen,
        inp.sal_clean,
        {(a, e): v for (kind, a, e), v in named.items() if kind == "adv"},
        {(a, e): v for (kind, a, e), v in named.items() if kind == "sal"},
        snakemake.output[0],
        snakemake.params.plots,
    )
