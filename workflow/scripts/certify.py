"""Rule certify: the certificate of every test image of one two-layer net (Eq. 10-13)."""

from advsal.runtime import log_to
from advsal.stages.certified import certify_images
from advsal.stages.common import Job

inp, p = snakemake.input, snakemake.params
files = {"net": inp.net, "data": inp.data}
job = Job(snakemake.wildcards.model, p.settings, p.seed, "cpu", files, snakemake.threads)
with log_to(snakemake.log[0]):
    certify_images(job, snakemake.output[0])
