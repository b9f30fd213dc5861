# Stage 7: figures. Only these rules read `plots:`, so a plotting change re-runs only them.
rule figure_eps_matrix:
    input:
        rules.tables.output.eps_matrix,
    output:
        figure("eps_matrix_{detector}"),
    params:
        plots=PLOTS,
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
        figure("cross_attack"),
    params:
        plots=PLOTS,
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
        figure("detectability"),
    params:
        plots=PLOTS,
    log:
        f"{R}/logs/figures/detectability.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/figure_detectability.py"


rule figure_classifier_training:
    input:
        rules.train_classifier.output.history,
    output:
        figure("classifier_training"),
    params:
        plots=PLOTS,
    log:
        f"{R}/logs/figures/classifier_training.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/figure_classifier_training.py"


# Zhang Fig. 1: the first attack of the config at its chosen eps.
rule figure_examples:
    input:
        data=rules.data.output[0],
        chosen=rules.tables.output.chosen_eps,
        sal_clean=rules.saliency_clean.output[0],
        adv=[adv_path(a, e, "test") for a, e in GRID if a == ATTACKS[0]],
        saliency=[saliency_path(a, e) for a, e in GRID if a == ATTACKS[0]],
        model=rules.train_classifier.output.model,
    output:
        figure("examples"),
    params:
        plots=PLOTS,
        attack=ATTACKS[0],
    log:
        f"{R}/logs/figures/examples.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/figure_examples.py"
