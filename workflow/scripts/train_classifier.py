"""Rule train_classifier: train f and save checkpoint, metrics and training curve."""

from advsal.runtime import log_to
from advsal.stages import train_classifier

with log_to(snakemake.log[0]):
    train_classifier(
        snakemake.config,
        snakemake.input.data,
        snakemake.output.model,
        snakemake.output.metrics,
        snakemake.output.history,
        threads=snakemake.threads,
    )
