"""Rule data: load the configured dataset and save its splits."""

from advsal.runtime import log_to
from advsal.stages.data import make_data

with log_to(snakemake.log[0]):
    make_data(snakemake.params.dataset, snakemake.params.seed, snakemake.output[0])
