"""Rule figure_cross_attack: Zhang Fig. 4, one panel per detector."""

from advsal.plots.matrices import cross_attack_figure
from advsal.runtime import log_to

with log_to(snakemake.log[0]):
    cross_attack_figure(snakemake.input[0], snakemake.output[0], snakemake.params.plots)
