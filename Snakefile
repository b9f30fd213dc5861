# advsal: detect adversarial examples with saliency, from data to paper tables, in one DAG.
# Stages, one file each, in DAG order: data -> classifier -> attacks -> saliency -> detectors
# (+ dynamic adversaries, attachment-depth sweep, Grad-CAM layer study, certified
# two-layer nets) -> evaluate -> figures -> paper. The config is validated before any job is scheduled.
from snakemake.utils import min_version

min_version("9.0")


# No `configfile:` directive: workflow/rules/common.smk reads config.yaml only when no
# --configfile is given, so a preset is the whole config, not merged into the default.
report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/classifier.smk"
include: "workflow/rules/attacks.smk"
include: "workflow/rules/saliency.smk"
include: "workflow/rules/detectors.smk"
include: "workflow/rules/retraining.smk"
include: "workflow/rules/depth.smk"
include: "workflow/rules/layers.smk"
include: "workflow/rules/certified.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/paper.smk"


check_sized()


rule all:
    default_target: True
    input:
        PLAN.final_targets(),
