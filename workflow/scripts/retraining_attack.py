"""Rule retraining_attack: the attack (at every sigma of its grid) against one detector version."""

from advsal.runtime import log_to
from advsal.stages.retraining import Retraining, retraining_attack

with log_to(snakemake.log[0]):
    job = Retraining.of_rule(snakemake)
    retraining_attack(
        job, snakemake.wildcards.version, snakemake.input.detector, snakemake.output[0]
    )
