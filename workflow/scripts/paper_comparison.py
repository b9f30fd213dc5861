"""Rule paper_comparison: published vs reproduced, as Markdown."""

from advsal.io import write_text
from advsal.paper import comparison_markdown
from advsal.runtime import log_to

inp, p = snakemake.input, snakemake.params
with log_to(snakemake.log[0]):
    write_text(
        snakemake.output[0],
        comparison_markdown(inp.reference, p.paper, inp.table1, inp.eps_matrix, p.run),
    )
