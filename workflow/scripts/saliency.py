"""Rules saliency_clean / saliency_adv: saliency maps of every split."""

from advsal.runtime import log_to
from advsal.stages import SPLITS, make_saliency

inp = snakemake.input
adv = {s: inp[f"adv_{s}"] for s in SPLITS} if "adv_train" in inp.keys() else None
with log_to(snakemake.log[0]):
    make_saliency(
        snakemake.config, inp.data, inp.model, snakemake.output[0], adv, snakemake.threads
    )
