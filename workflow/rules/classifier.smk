# Stage 2: each named classifier f (Adam, model selection on val).
rule train_classifier:
    input:
        data=rules.data.output[0],
    output:
        model=f"{R}/classifiers/{{classifier}}/model.pt",
        metrics=f"{R}/classifiers/{{classifier}}/metrics.json",
        history=f"{R}/classifiers/{{classifier}}/history.csv",
    params:
        settings=lambda wc: config["classifiers"][wc.classifier],
        runtime=RUNTIME,
        code=code("train_classifier"),
    log:
        f"{R}/logs/classifiers/{{classifier}}.log",
    benchmark:
        f"{R}/benchmarks/classifiers/{{classifier}}.tsv"
    threads: RES["threads"]
    resources:
        gpu=1,
        mem_mb=RES["mem_mb"],
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/train_classifier.py"
