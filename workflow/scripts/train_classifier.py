"""Rule train_classifier: train one named classifier; checkpoint, metrics, training curve."""

from advsal.runtime import log_to
from advsal.stages.classifier import train_classifier

name, out = snakemake.wildcards.classifier, snakemake.output
with log_to(snakemake.log[0]):
    train_classifier(
        name,
        snakemake.params.settings,
        snakemake.input.data,
        out.model,
        out.metrics,
        out.history,
        **snakemake.params.runtime,
        threads=snakemake.threads,
    )
