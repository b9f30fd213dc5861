"""Rule figure_paired: Nguyen 2018 Tables 1-4 as bars."""

from advsal.plots.bars import paired_figure
from advsal.runtime import log_to

with log_to(snakemake.log[0]):
    paired_figure(snakemake.input[0], snakemake.output[0], snakemake.params.plots)
