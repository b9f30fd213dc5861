"""Rule dynamic_attack: the dynamic adversary at every sigma against one detector version."""

from advsal.runtime import log_to
from advsal.stages.retraining import dynamic_attack

wc, inp, p = snakemake.wildcards, snakemake.input, snakemake.params
with log_to(snakemake.log[0]):
    dynamic_attack(
        wc.attack,
        p.settings,
        wc.eps,
        wc.detector,
        wc.version,
        inp.data,
        inp.classifier,
        inp.detector,
        snakemake.output[0],
        saliency=p.saliency,
        saliency_state=inp.get("saliency_state"),
        options=p.options,
        **p.runtime,
        threads=snakemake.threads,
    )
