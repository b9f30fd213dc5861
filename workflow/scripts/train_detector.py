"""Rule train_detector: one detector instance fitted to one (attack, eps), or to all of its
fit_on at once (attack ``all``)."""

from advsal.runtime import log_to
from advsal.stages.common import named_inputs
from advsal.stages.detector import train_detector

wc, inp, p = snakemake.wildcards, snakemake.input, snakemake.params
named = named_inputs(inp, p.pairs)
with log_to(snakemake.log[0]):
    train_detector(
        wc.detector,
        p.settings,
        wc.attack,
        wc.eps,
        inp.data,
        {k: named.get(f"adv_{k}", {}) for k in ("train", "val")},
        snakemake.output.model,
        snakemake.output.history,
        classifier=inp.get("classifier"),
        sal_clean=inp.get("sal_clean"),
        sal_adv=named.get("sal_adv"),
        train_limit=p.train_limit,
        **p.runtime,
        threads=snakemake.threads,
    )
