"""Rule attack_summary: one CSV row per (attack, eps, split)."""

from advsal.runtime import log_to
from advsal.tables.attacks import attack_summary

with log_to(snakemake.log[0]):
    attack_summary(list(snakemake.input), snakemake.output[0])
