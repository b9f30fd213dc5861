"""Rule figure_detectability: Metzen Fig. 2 (left), detectability vs classifier accuracy."""

from advsal.plots.lines import detectability_figure
from advsal.runtime import log_to

with log_to(snakemake.log[0]):
    detectability_figure(snakemake.input[0], snakemake.output[0], snakemake.params.plots)
