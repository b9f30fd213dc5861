"""Rule train_detector: one detector kind fitted to one (attack, eps)."""

from advsal.runtime import log_to
from advsal.stages import train_detector

inp = snakemake.input
with log_to(snakemake.log[0]):
    train_detector(
        snakemake.config,
        snakemake.wildcards.detector,
        inp.data,
        inp.sal_clean,
        {"train": inp.adv_train, "val": inp.adv_val},
        inp.sal_adv,
        snakemake.output.model,
        snakemake.output.history,
        model_path=inp.model,
        threads=snakemake.threads,
    )
