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
        f"{R}/logs/figures/eps_matrix_{{detector}}.log",
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
        f"{R}/logs/figures/cross_attack.log",
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
        f"{R}/logs/figures/detectability.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/figure_detectability.py"


rule figure_classifier_training:
    input:
        f"{R}/classifiers/{{classifier}}/history.csv",
    output:
        in_report(figure("classifier_training_{classifier}"), "classifier_training", "Figures"),
    params:
        plots=PLOTS,
        code=code("figure_classifier_training"),
    log:
        f"{R}/logs/figures/classifier_training_{{classifier}}.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/figure_classifier_training.py"


# Zhang Fig. 1 for one saliency instance: every attack on its classifier at the chosen eps.
rule figure_examples:
    input:
        unpack(examples_inputs),
    output:
        in_report(figure("examples_{saliency}"), "examples_figure", "Figures"),
    params:
        plots=PLOTS,
        code=code("figure_examples"),
    log:
        f"{R}/logs/figures/examples_{{saliency}}.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/figure_examples.py"
