"""Rule attack: adversarial examples of one (attack, eps, split) and their statistics."""

from advsal.runtime import log_to
from advsal.stages import make_attack

wc = snakemake.wildcards
with log_to(snakemake.log[0]):
    make_attack(
        snakemake.config,
        wc.attack,
        wc.eps,
        wc.split,
        snakemake.input.data,
        snakemake.input.model,
        snakemake.output.adv,
        snakemake.output.stats,
        threads=snakemake.threads,
    )
