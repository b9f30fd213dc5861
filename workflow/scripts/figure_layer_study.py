"""Rule figure_layer_study: Zhang Fig. 7 with the correlation per layer beside the maps."""

from advsal.plots.images import layer_study_figure
from advsal.runtime import log_to

inp = snakemake.input
with log_to(snakemake.log[0]):
    layer_study_figure(inp.table, inp.maps, snakemake.output[0], snakemake.params.plots)
