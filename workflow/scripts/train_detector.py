"""Rule train_detector: one detector instance fitted to one (attack, eps), or to all of its
fit_on at once (attack ``all``)."""

from advsal.runtime import log_to
from advsal.stages.common import Job, named_inputs
from advsal.stages.detector import train_detector

wc, inp, p = snakemake.wildcards, snakemake.input, snakemake.params
named = named_inputs(inp, p.lists)
with log_to(snakemake.log[0]):
    train_detector(
        Job.of_rule(snakemake, wc.detector),
        wc.attack,
        wc.eps,
        {k: named.get(f"adv_{k}", {}) for k in ("train", "val")},
        snakemake.output.model,
        snakemake.output.history,
        sal_adv=named.get("sal_adv"),
        train_limit=p.train_limit,
    )
