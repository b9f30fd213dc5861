"""Rule figure_whitebox: model_based_saliency2020 Table 3 as bars, before / after training."""

from advsal.plots.bars import whitebox_figure
from advsal.runtime import log_to

with log_to(snakemake.log[0]):
    p = snakemake.params
    whitebox_figure(list(snakemake.input), snakemake.output[0], p.plots, p.false_alarms)
