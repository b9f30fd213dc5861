"""Rule figure_dynamic: Metzen Fig. 5, the dynamic adversary vs static and dynamic detectors."""

from advsal.plots.lines import dynamic_figure
from advsal.runtime import log_to

with log_to(snakemake.log[0]):
    dynamic_figure(snakemake.input[0], snakemake.output[0], snakemake.params.plots)
