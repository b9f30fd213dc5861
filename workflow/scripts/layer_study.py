"""Rule layer_study: Grad-CAM per layer, clean vs adversarial (Zhang Fig. 7, measured).
Input ``adv`` is a list, by (attack, eps) in ``params.lists``."""

from advsal.runtime import log_to
from advsal.stages.common import Job, named_inputs
from advsal.stages.layers import layer_study

inp, p, out = snakemake.input, snakemake.params, snakemake.output
with log_to(snakemake.log[0]):
    layer_study(
        Job.of_rule(snakemake, p.settings["classifier"]),
        named_inputs(inp, p.lists)["adv"],
        out.table,
        out.maps,
    )
