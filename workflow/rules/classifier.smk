# Stage 2: the classifier f under attack (Adam, model selection on val).
rule train_classifier:
    input:
        data=rules.data.output[0],
    output:
        model=f"{R}/classifier/model.pt",
        metrics=f"{R}/classifier/metrics.json",
        history=f"{R}/classifier/history.csv",
    params:
        classifier=config["classifier"],
        seed=config["seed"],
    log:
        f"{R}/logs/classifier.log",
    benchmark:
        f"{R}/benchmarks/classifier.tsv"
    threads: RES["threads"]
    resources:
        gpu=1,
        mem_mb=RES["mem_mb"],
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/train_classifier.py"
