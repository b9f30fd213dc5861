"""Rule evaluate_detector: every fitted detector of an instance on every (attack, eps) test set.
Inputs are named ``fit|attack|eps``, ``adv|attack|eps`` and ``sal|attack|eps``."""

from advsal.runtime import log_to
from advsal.stages.detector import evaluate_detector

inp, p = snakemake.input, snakemake.params
named = {tuple(k.split("|")): v for k, v in inp.items() if "|" in k}
cells = [(a, e) for kind, a, e in named if kind == "fit"]
with log_to(snakemake.log[0]):
    evaluate_detector(
        snakemake.wildcards.detector,
        p.settings,
        inp.data,
        {c: named[("fit", *c)] for c in cells},
        {c: (named[("adv", *c)], named.get(("sal", *c))) for c in cells},
        snakemake.output[0],
        classifier=inp.get("classifier"),
        sal_clean=inp.get("sal_clean"),
        **p.runtime,
        threads=snakemake.threads,
    )
