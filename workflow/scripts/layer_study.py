"""Rule layer_study: Grad-CAM per layer, clean vs adversarial (Zhang Fig. 7, measured).
Input ``adv`` is a list, by (attack, eps) in ``params.pairs``."""

from advsal.runtime import log_to
from advsal.stages.common import named_inputs
from advsal.stages.layers import layer_study

inp, p, out = snakemake.input, snakemake.params, snakemake.output
with log_to(snakemake.log[0]):
    layer_study(
        p.settings["classifier"],
        p.settings["layers"],
        inp.data,
        inp.classifier,
        inp.chosen,
        named_inputs(inp, p.pairs)["adv"],
        out.table,
        out.maps,
        n_examples=p.settings["n_examples"],
        **p.runtime,
        threads=snakemake.threads,
    )
