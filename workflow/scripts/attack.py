"""Rule attack: adversarial examples of one (attack, eps) on every split, and their statistics."""

from advsal.runtime import log_to
from advsal.stages.attack import make_attack
from advsal.stages.common import Job

wc, inp, p = snakemake.wildcards, snakemake.input, snakemake.params
against = None
if p.against is not None:
    against = {**p.against, "detector": inp.detector, "saliency_state": inp.get("saliency_state")}
with log_to(snakemake.log[0]):
    make_attack(
        Job.of_rule(snakemake, wc.attack),
        wc.eps,
        list(zip(p.splits, snakemake.output.adv, snakemake.output.stats, strict=True)),
        options=p.options,
        against=against,
    )
