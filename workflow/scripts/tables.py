"""Rule tables: Table 1, eps_fit x eps_test and cross-attack matrices, accuracy, ..."""

from advsal.runtime import log_to
from advsal.tables.detection import build_tables, write_tables

inp, p = snakemake.input, snakemake.params
with log_to(snakemake.log[0]):
    tables = build_tables(inp.cells, inp.summary, inp.chosen, p.fits, p.explicit)
    write_tables(tables, dict(snakemake.output.items()))
