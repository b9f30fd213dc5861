"""Rule train_dynamic_detector: dynamic adversary training of one detector (Metzen Sec. 3.3)."""

from advsal.runtime import log_to
from advsal.stages.retraining import train_dynamic_detector

wc, inp, p, out = snakemake.wildcards, snakemake.input, snakemake.params, snakemake.output
with log_to(snakemake.log[0]):
    train_dynamic_detector(
        wc.attack,
        p.settings,
        wc.eps,
        wc.detector,
        p.detector,
        inp.data,
        inp.classifier,
        inp.detector,
        out.model,
        out.history,
        saliency=p.saliency,
        saliency_state=inp.get("saliency_state"),
        options=p.options,
        **p.runtime,
        threads=snakemake.threads,
    )
