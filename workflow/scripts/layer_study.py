"""Rule layer_study: Grad-CAM per layer, clean vs adversarial (Zhang Fig. 7, measured).
Adversarial inputs are named ``adv|attack|eps``."""

from advsal.runtime import log_to
from advsal.stages.common import grouped_inputs
from advsal.stages.layers import layer_study

inp, p, out = snakemake.input, snakemake.params, snakemake.output
with log_to(snakemake.log[0]):
    layer_study(
        p.settings["classifier"],
        p.settings["layers"],
        inp.data,
        inp.model,
        inp.chosen,
        grouped_inputs(inp.items())["adv"],
        out.table,
        out.maps,
        n_examples=p.settings["n_examples"],
        **p.runtime,
        threads=snakemake.threads,
    )
