"""Rule evaluate_detector: every fitted detector of a kind on every (attack, eps) test set."""

from advsal.runtime import log_to
from advsal.stages import evaluate_detector

inp, grid = snakemake.input, [tuple(g) for g in snakemake.params.grid]
with log_to(snakemake.log[0]):
    evaluate_detector(
        snakemake.config,
        snakemake.wildcards.detector,
        inp.data,
        inp.sal_clean,
        dict(zip(grid, inp.detectors, strict=True)),
        dict(zip(grid, zip(inp.adv, inp.saliency, strict=True), strict=True)),
        snakemake.output[0],
        model_path=inp.model,
        threads=snakemake.threads,
    )
