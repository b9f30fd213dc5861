"""Rule figure_eps_matrix: Zhang Fig. 3 for one detector."""

from advsal.plots.matrices import eps_matrix_figure
from advsal.runtime import log_to

with log_to(snakemake.log[0]):
    eps_matrix_figure(
        snakemake.input[0],
        snakemake.wildcards.detector,
        snakemake.output[0],
        snakemake.params.plots,
    )
