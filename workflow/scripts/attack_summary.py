"""Rule attack_summary: one CSV row per (attack, eps, split), and each attack's chosen eps."""

from advsal.runtime import log_to
from advsal.tables.attacks import attack_summary

with log_to(snakemake.log[0]):
    out = snakemake.output
    attack_summary(list(snakemake.input), out.summary, out.chosen_eps, snakemake.params.evaluation)
