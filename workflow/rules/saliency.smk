# Stage 4: saliency maps of f for the clean splits and for each (attack, eps).
rule saliency_clean:
    input:
        data=rules.data.output[0],
        model=rules.train_classifier.output.model,
    output:
        f"{R}/saliency/clean.pt",
    params:
        saliency=config["saliency"],
        train_limit=config["attack_options"]["train_limit"],
    log:
        f"{R}/logs/saliency/clean.log",
    benchmark:
        f"{R}/benchmarks/saliency/clean.tsv"
    threads: RES["threads"]
    resources:
        gpu=1,
        mem_mb=RES["mem_mb"],
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/saliency.py"


rule saliency_adv:
    input:
        unpack(lambda wc: {f"adv_{s}": adv_path(wc.attack, wc.eps, s) for s in SPLITS}),
        data=rules.data.output[0],
        model=rules.train_classifier.output.model,
    output:
        f"{R}/saliency/{{attack}}/{{eps}}.pt",
    params:
        saliency=config["saliency"],
    log:
        f"{R}/logs/saliency/{{attack}}_{{eps}}.log",
    benchmark:
        f"{R}/benchmarks/saliency/{{attack}}_{{eps}}.tsv"
    threads: RES["threads"]
    resources:
        gpu=1,
        mem_mb=RES["mem_mb"],
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/saliency.py"
