"""Rule depth_sweep: Metzen Fig. 2 (right), detectability per attachment depth AD(i)."""

from advsal.runtime import log_to
from advsal.stages.common import Job, named_inputs
from advsal.stages.depth import depth_sweep

wc, inp, p = snakemake.wildcards, snakemake.input, snakemake.params
adv: dict = {}  # (attack, eps) -> {split: path}
for name, files in named_inputs(inp, p.lists).items():  # adv_train, adv_val, adv_test
    for key, path in files.items():
        adv.setdefault(key, {})[name.removeprefix("adv_")] = path
with log_to(snakemake.log[0]):
    depth_sweep(
        Job.of_rule(snakemake, wc.detector),
        adv,
        snakemake.output[0],
        train_limit=p.train_limit,
    )
