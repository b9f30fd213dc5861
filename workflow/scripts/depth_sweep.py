"""Rule depth_sweep: Metzen Fig. 2 (right), detectability per attachment depth AD(i)."""

from advsal.runtime import log_to
from advsal.stages.common import grouped_inputs
from advsal.stages.depth import depth_sweep

wc, inp, p = snakemake.wildcards, snakemake.input, snakemake.params
adv: dict = {}
for kind, files in grouped_inputs(inp.items()).items():  # adv_train|<attack>|<eps>, ...
    for key, path in files.items():
        adv.setdefault(key, {})[kind.removeprefix("adv_")] = path
with log_to(snakemake.log[0]):
    depth_sweep(
        wc.detector,
        p.settings,
        inp.data,
        inp.classifier,
        inp.summary,
        adv,
        snakemake.output[0],
        evaluation=p.evaluation,
        train_limit=p.train_limit,
        **p.runtime,
        threads=snakemake.threads,
    )
