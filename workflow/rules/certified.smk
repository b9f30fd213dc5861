# Stage 5e (Nguyen 2018 Sec. 4 / Fig. 6): a plain and a certified two-layer net on pooled
# digits, stAdv on both (same test images) and the SDP certificate per image, then the table.
rule train_certified:
    input:
        data=PATHS.data,
    output:
        model=PATHS.net("{model}"),
        metrics=PATHS.net("{model}", "metrics.json"),
        history=PATHS.net("{model}", "history.csv"),
    params:
        settings=lambda wc: PLAN.net_settings(wc.model),
        runtime=RUNTIME,
        code=code("train_certified"),
    log:
        f"{RUN_DIR}/logs/certified/train_{{model}}.log",
    benchmark:
        f"{RUN_DIR}/benchmarks/certified/train_{{model}}.tsv"
    threads: RESOURCES["threads"]
    resources:
        gpu=gpu,
        **sized("train_certified"),
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/train_certified.py"


rule attack_certified:
    input:
        data=PATHS.data,
        net=PATHS.net("{model}"),
    output:
        PATHS.net("{model}", "stadv.csv"),
    params:
        side=PLAN.certified.get("side"),
        test_limit=PLAN.certified.get("test_limit"),
        attack=PLAN.certified.get("attack"),
        runtime=RUNTIME,
        code=code("attack_certified"),
    log:
        f"{RUN_DIR}/logs/certified/attack_{{model}}.log",
    benchmark:
        f"{RUN_DIR}/benchmarks/certified/attack_{{model}}.tsv"
    threads: RESOURCES["threads"]
    resources:
        gpu=gpu,
        **sized("attack_certified"),
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/attack_certified.py"


rule certify:
    input:
        data=PATHS.data,
        net=PATHS.net("{model}"),
    output:
        PATHS.net("{model}", "certificates.csv"),
    params:
        settings=PLAN.certify_settings,
        seed=config["seed"],
        code=code("certify"),
    log:
        f"{RUN_DIR}/logs/certified/certify_{{model}}.log",
    benchmark:
        f"{RUN_DIR}/benchmarks/certified/certify_{{model}}.tsv"
    threads: 1  # small batched eigendecompositions and SCS: 2 threads ran 10x slower here
    resources:
        **sized("certify"),
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/certify.py"


rule certified_table:
    input:
        **INPUTS.certified_table().files,
    output:
        table("certified"),
    params:
        models=PLAN.nets,
        eps=PLAN.certified.get("eps"),
        budget=PLAN.certified_budget,
        code=code("certified_table"),
    log:
        f"{RUN_DIR}/logs/certified/table.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/certified_table.py"


rule figure_certified:
    input:
        table=rules.certified_table.output[0],
        certificates=rules.certified_table.input.certificates,
    output:
        in_report(figure("certified"), "certified_figure", "Figures"),
    params:
        models=PLAN.nets,
        plots=PLOTS,
        code=code("figure_certified"),
    log:
        f"{RUN_DIR}/logs/figures/certified.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/figure_certified.py"
