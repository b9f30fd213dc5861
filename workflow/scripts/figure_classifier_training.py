"""Rule figure_classifier_training: one classifier's accuracy per epoch."""

from advsal.plots.lines import training_curve_figure
from advsal.runtime import log_to

with log_to(snakemake.log[0]):
    training_curve_figure(
        snakemake.input[0],
        snakemake.output[0],
        snakemake.params.plots,
        title=f"classifier {snakemake.wildcards.classifier}",
    )
