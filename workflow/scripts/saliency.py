"""Rules saliency_clean / saliency_adv: maps of one saliency instance for every split."""

from advsal.runtime import log_to
from advsal.stages.common import SPLITS, Job
from advsal.stages.saliency import make_saliency

wc, inp, p = snakemake.wildcards, snakemake.input, snakemake.params
adv = {s: inp[f"adv_{s}"] for s in SPLITS} if "adv_train" in inp.keys() else None
with log_to(snakemake.log[0]):
    make_saliency(
        Job.of_rule(snakemake, wc.saliency),
        snakemake.output[0],
        adv=adv,
        train_limit=p.train_limit,
    )
