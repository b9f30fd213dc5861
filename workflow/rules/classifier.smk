# Stage 2: each named classifier f (Adam, model selection on val).
rule train_classifier:
    input:
        data=PATHS.data,
    output:
        model=PATHS.classifier("{classifier}"),
        metrics=PATHS.classifier("{classifier}", "metrics.json"),
        history=PATHS.classifier("{classifier}", "history.csv"),
    params:
        settings=lambda wc: PLAN.classifier_settings(wc.classifier),
        runtime=RUNTIME,
        code=code("train_classifier"),
    log:
        f"{RUN_DIR}/logs/classifiers/{{classifier}}.log",
    benchmark:
        f"{RUN_DIR}/benchmarks/classifiers/{{classifier}}.tsv"
    threads: RESOURCES["threads"]
    resources:
        gpu=gpu,
        **sized("train_classifier"),
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/train_classifier.py"
