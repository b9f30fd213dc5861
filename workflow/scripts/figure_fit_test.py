"""Rule figure_fit_test: model_based_saliency2020 Fig. 2 (fit attack x test attack bars)."""

from advsal.plots.bars import fit_test_figure
from advsal.runtime import log_to

p = snakemake.params
with log_to(snakemake.log[0]):
    fit_test_figure(snakemake.input[0], snakemake.output[0], p.plots, p.titles)
