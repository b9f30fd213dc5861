"""Rule figure_certified: Nguyen 2018 Fig. 6 and the certificates per image."""

from advsal.plots.certified import certified_figure
from advsal.runtime import log_to

inp, p = snakemake.input, snakemake.params
with log_to(snakemake.log[0]):
    certified_figure(
        inp.table,
        dict(zip(p.models, inp.certificates, strict=True)),
        snakemake.output[0],
        p.plots,
    )
