"""Rule figure_paper: one paper's published vs reproduced cells around y = x, with tolerances."""

from advsal.plots.paper import paper_figure
from advsal.runtime import log_to

with log_to(snakemake.log[0]):
    paper_figure(
        snakemake.input[0], snakemake.wildcards.paper, snakemake.output[0], snakemake.params.plots
    )
