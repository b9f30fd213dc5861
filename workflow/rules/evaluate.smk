# Stage 6: every fitted detector of an instance on every (attack, eps) test set of its
# classifier -> tidy cells -> tables. Which fits and test sets: advsal.plan.Inputs.evaluate.
rule evaluate_detector:
    input:
        unpack(lambda wc: INPUTS.evaluate(wc.detector).files),
    output:
        PATHS.eval_cells("{detector}"),
    params:
        lists=lambda wc: INPUTS.evaluate(wc.detector).keys,
        settings=lambda wc: PLAN.detector_settings(wc.detector),
        combined=lambda wc: PLAN.combined_fits(wc.detector),
        runtime=RUNTIME,
        code=code("evaluate_detector"),
    log:
        f"{RUN_DIR}/logs/eval/{{detector}}.log",
    benchmark:
        f"{RUN_DIR}/benchmarks/eval/{{detector}}.tsv"
    threads: RESOURCES["threads"]
    resources:
        gpu=gpu,
        **sized("evaluate_detector"),
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/evaluate_detector.py"


# Nguyen 2018 Tables 1-4: a contrastive detector (lan_contrast) on each attack of its `paired`
# list, clean image and its own successful adversarial side by side; an attack on another
# classifier is the transferred setting.
rule paired_table:
    input:
        unpack(lambda wc: INPUTS.paired(wc.detector).files),
    output:
        in_report(PATHS.table("paired_{detector}"), "paired", "Tables"),
    params:
        lists=lambda wc: INPUTS.paired(wc.detector).keys,
        crafted_on=lambda wc: PLAN.of_paired(wc.detector, "classifier"),
        types=lambda wc: PLAN.of_paired(wc.detector, "type"),
        own_classifier=lambda wc: PLAN.classifier_of("detectors", wc.detector),
        runtime=RUNTIME,
        code=code("paired_table"),
    log:
        f"{RUN_DIR}/logs/eval/paired_{{detector}}.log",
    benchmark:
        f"{RUN_DIR}/benchmarks/eval/paired_{{detector}}.tsv"
    threads: RESOURCES["threads"]
    resources:
        gpu=gpu,
        **sized("paired_table"),
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/paired_table.py"


rule tables:
    input:
        **INPUTS.tables().files,
    output:
        table1=table("table1"),
        eps_matrix=table("eps_matrix"),
        cross_attack=table("cross_attack"),
        attack_accuracy=table("attack_accuracy"),
        perturbation=table("perturbation"),
        detectability=table("detectability"),
        fit_test=table("fit_test"),
        combined=table("combined"),
    params:
        fits=PLAN.fitted_to,
        explicit=PLAN.explicit_fits,
        code=code("tables"),
    log:
        f"{RUN_DIR}/logs/tables.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/tables.py"
