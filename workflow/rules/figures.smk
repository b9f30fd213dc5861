# Stage 7: figures. Only these rules read `plots:`, so a plotting change re-runs only them.
rule figure_eps_matrix:
    input:
        rules.tables.output.eps_matrix,
    output:
        in_report(figure("eps_matrix_{detector}"), "eps_matrix_figure", "Figures"),
    params:
        plots=PLOTS,
        code=code("figure_eps_matrix"),
    log:
        f"{RUN_DIR}/logs/figures/eps_matrix_{{detector}}.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/figure_eps_matrix.py"


rule figure_cross_attack:
    input:
        rules.tables.output.cross_attack,
    output:
        in_report(figure("cross_attack"), "cross_attack_figure", "Figures"),
    params:
        plots=PLOTS,
        code=code("figure_cross_attack"),
    log:
        f"{RUN_DIR}/logs/figures/cross_attack.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/figure_cross_attack.py"


rule figure_detectability:
    input:
        rules.tables.output.detectability,
    output:
        in_report(figure("detectability"), "detectability_figure", "Figures"),
    params:
        plots=PLOTS,
        code=code("figure_detectability"),
    log:
        f"{RUN_DIR}/logs/figures/detectability.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/figure_detectability.py"


rule figure_classifier_training:
    input:
        PATHS.classifier("{classifier}", "history.csv"),
    output:
        in_report(figure("classifier_training_{classifier}"), "classifier_training", "Figures"),
    params:
        plots=PLOTS,
        code=code("figure_classifier_training"),
    log:
        f"{RUN_DIR}/logs/figures/classifier_training_{{classifier}}.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/figure_classifier_training.py"


# Zhang Fig. 1 for one saliency instance: every attack on its classifier at the chosen eps (the
# figure maps its few images itself: no saliency job for it).
rule figure_examples:
    input:
        unpack(lambda wc: INPUTS.examples(wc.saliency).files),
    output:
        in_report(figure("examples_{saliency}"), "examples_figure", "Figures"),
    params:
        lists=lambda wc: INPUTS.examples(wc.saliency).keys,
        settings=lambda wc: PLAN.saliency_settings(wc.saliency),
        plots=PLOTS,
        code=code("figure_examples"),
    log:
        f"{RUN_DIR}/logs/figures/examples_{{saliency}}.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/figure_examples.py"


# Metzen Fig. 2 (right): detectability per attachment depth, per attack.
rule figure_depth_sweep:
    input:
        PATHS.table("depth_sweep_{detector}"),
    output:
        in_report(figure("depth_sweep_{detector}"), "depth_sweep_figure", "Figures"),
    params:
        plots=PLOTS,
        code=code("figure_depth_sweep"),
    log:
        f"{RUN_DIR}/logs/figures/depth_sweep_{{detector}}.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/figure_depth_sweep.py"


# Metzen Fig. 5: detectability vs f's accuracy over sigma, static vs dynamic detector.
rule figure_dynamic:
    input:
        rules.dynamic_tables.output.dynamic,
    output:
        in_report(figure("dynamic"), "dynamic_figure", "Figures"),
    params:
        plots=PLOTS,
        code=code("figure_dynamic"),
    log:
        f"{RUN_DIR}/logs/figures/dynamic.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/figure_dynamic.py"


# model_based_saliency2020 Table 3 as bars: before / after adversarial training, mean and sd
# over seeds.
rule figure_whitebox:
    input:
        rules.whitebox_table.input,  # the per-seed rows: seaborn draws mean and sd itself
    output:
        in_report(figure("whitebox"), "whitebox_figure", "Figures"),
    params:
        plots=PLOTS,
        false_alarms=load_reference(REFERENCE)["detection"]["false_alarms"],
        code=code("figure_whitebox"),
    log:
        f"{RUN_DIR}/logs/figures/whitebox.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/figure_whitebox.py"


rule figure_paired:
    input:
        PATHS.table("paired_{detector}"),
    output:
        in_report(figure("paired_{detector}"), "paired_figure", "Figures"),
    params:
        plots=PLOTS,
        code=code("figure_paired"),
    log:
        f"{RUN_DIR}/logs/figures/paired_{{detector}}.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/figure_paired.py"


# model_based_saliency2020 Fig. 2: detectors that name their fit_on, fitted x tested.
rule figure_fit_test:
    input:
        rules.tables.output.fit_test,
    output:
        in_report(figure("fit_test"), "fit_test_figure", "Figures"),
    params:
        plots=PLOTS,
        titles=PLAN.detector_titles,
        code=code("figure_fit_test"),
    log:
        f"{RUN_DIR}/logs/figures/fit_test.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/figure_fit_test.py"
