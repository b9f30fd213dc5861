"""Rule certified_table: Nguyen 2018 Fig. 6 as a table, a row per two-layer net."""

from advsal.runtime import log_to
from advsal.tables.certified import certified_table

inp, p = snakemake.input, snakemake.params
files = zip(inp.metrics, inp.attacks, inp.certificates, strict=True)
with log_to(snakemake.log[0]):
    certified_table(
        dict(zip(p.models, files, strict=True)),
        snakemake.output[0],
        eps=p.eps,
        budget=p.budget,
    )
