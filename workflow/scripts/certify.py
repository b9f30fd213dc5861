"""Rule certify: the certificate of every test image of one two-layer net (Eq. 10-13)."""

from advsal.runtime import log_to
from advsal.stages.certified import certify_images

inp, p = snakemake.input, snakemake.params
with log_to(snakemake.log[0]):
    certify_images(
        snakemake.wildcards.model,
        inp.net,
        inp.data,
        snakemake.output[0],
        **p.settings,
        seed=p.seed,
        threads=snakemake.threads,
    )
