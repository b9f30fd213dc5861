"""Rule retrain_detector: one detector trained against a retraining attack as it trains (Metzen
Sec. 3.3's dynamic adversary, the 2020 paper's white-box rounds)."""

from advsal.runtime import log_to
from advsal.stages.retraining import Retraining, retrain_detector

with log_to(snakemake.log[0]):
    job = Retraining.of_rule(snakemake)
    retrain_detector(job, snakemake.output.model, snakemake.output.history)
