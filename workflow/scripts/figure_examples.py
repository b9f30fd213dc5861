"""Rule figure_examples: Zhang Fig. 1 for one saliency instance, every attack at its chosen eps."""

from advsal.plots.images import examples_figure
from advsal.runtime import log_to
from advsal.stages.common import named_inputs
from advsal.stages.figures import example_rows

inp, p = snakemake.input, snakemake.params
named = named_inputs(inp, p.lists)
with log_to(snakemake.log[0]):
    rows, labels = example_rows(
        inp.data,
        inp.classifier,
        inp.chosen,
        named["adv"],
        n=p.plots["n_examples"],
        saliency=p.settings,
        state=inp.get("saliency_state"),
    )
    title = f"saliency {snakemake.wildcards.saliency!r}: clean vs adversarial (test)"
    examples_figure(rows, labels, snakemake.output[0], p.plots, title=title)
