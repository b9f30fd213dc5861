"""Rule whitebox_table: model_based_saliency2020 Table 3, mean and std over seeds."""

from advsal.runtime import log_to
from advsal.tables.retraining import whitebox_table

with log_to(snakemake.log[0]):
    whitebox_table(snakemake.input, snakemake.output[0])
