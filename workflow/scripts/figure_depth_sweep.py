"""Rule figure_depth_sweep: Metzen Fig. 2 (right), detectability per attachment depth."""

from advsal.plots.bars import depth_sweep_figure
from advsal.runtime import log_to

with log_to(snakemake.log[0]):
    depth_sweep_figure(snakemake.input[0], snakemake.output[0], snakemake.params.plots)
