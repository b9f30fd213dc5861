"""Rule dynamic_tables: every dynamic-adversary row, and the adaptive column per detector."""

from advsal.runtime import log_to
from advsal.tables.retraining import dynamic_tables

with log_to(snakemake.log[0]):
    out = snakemake.output
    dynamic_tables(snakemake.input, out.dynamic, out.adaptive, snakemake.params.threshold)
