"""Rule paired_table: Nguyen 2018 Tables 1-4 for one contrastive detector. Inputs ``adv``
and ``sal`` are lists, by (attack, eps) in ``params.lists``."""

from advsal.runtime import log_to
from advsal.stages.common import Job, named_inputs
from advsal.stages.paired import paired_table

inp, p = snakemake.input, snakemake.params
named = named_inputs(inp, p.lists)
with log_to(snakemake.log[0]):
    paired_table(
        Job.of_rule(snakemake, snakemake.wildcards.detector),
        {k: (adv, named["sal"][k]) for k, adv in named["adv"].items()},
        snakemake.output[0],
        crafted_on=p.crafted_on,
        types=p.types,
        own_classifier=p.own_classifier,
    )
