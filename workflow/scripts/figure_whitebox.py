"""Rule figure_whitebox: model_based_saliency2020 Table 3 as bars, before / after training."""

from advsal.plots import whitebox_figure
from advsal.runtime import log_to

with log_to(snakemake.log[0]):
    whitebox_figure(snakemake.input[0], snakemake.output[0], snakemake.params.plots)
