"""Rule train_certified: the plain or the certified two-layer net (Nguyen 2018 Sec. 4)."""

from advsal.runtime import log_to
from advsal.stages.certified import train_model

out = snakemake.output
with log_to(snakemake.log[0]):
    train_model(
        snakemake.wildcards.model,
        snakemake.params.settings,
        snakemake.input.data,
        out.model,
        out.metrics,
        out.history,
        **snakemake.params.runtime,
        threads=snakemake.threads,
    )
