"""Rule paper_comparison: published vs reproduced, each row with a verdict (Markdown and CSV)."""

from advsal.paper.compare import write_comparison
from advsal.runtime import log_to

inp, p, out = snakemake.input, snakemake.params, snakemake.output
tables = {k: v for k, v in inp.items() if k != "reference"}
with log_to(snakemake.log[0]):
    write_comparison(
        inp.reference, p.paper, tables, p.setting, p.run, out.markdown, out.csv, p.spread
    )
