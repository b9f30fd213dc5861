"""Rule attack_certified: stAdv on one two-layer net, a row per test image (Fig. 6)."""

from advsal.runtime import log_to
from advsal.stages.certified import attack_model

inp, p = snakemake.input, snakemake.params
with log_to(snakemake.log[0]):
    attack_model(
        snakemake.wildcards.model,
        inp.net,
        inp.data,
        snakemake.output[0],
        side=p.side,
        test_limit=p.test_limit,
        attack=p.attack,
        **p.runtime,
        threads=snakemake.threads,
    )
