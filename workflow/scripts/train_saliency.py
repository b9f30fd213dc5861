"""Rule train_saliency: fit a trained saliency method (learnt saliency, attention masks)."""

from advsal.runtime import log_to
from advsal.stages.saliency import train_saliency

name, inp, p = snakemake.wildcards.saliency, snakemake.input, snakemake.params
with log_to(snakemake.log[0]):
    train_saliency(
        name,
        p.settings,
        inp.data,
        inp.classifier,
        snakemake.output.model,
        out_history=snakemake.output.history,
        **p.runtime,
        threads=snakemake.threads,
    )
