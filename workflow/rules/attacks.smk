# Stage 3: one job per (attack, eps, split); clean and adversarial stay index-aligned.
rule attack:
    input:
        data=rules.data.output[0],
        model=rules.train_classifier.output.model,
    output:
        adv=f"{R}/attacks/{{attack}}/{{eps}}/{{split}}.pt",
        stats=f"{R}/attacks/{{attack}}/{{eps}}/{{split}}.json",
    params:
        spec=lambda wc: config["attacks"][wc.attack],
        options=config["attack_options"],
    log:
        f"{R}/logs/attacks/{{attack}}_{{eps}}_{{split}}.log",
    benchmark:
        f"{R}/benchmarks/attacks/{{attack}}_{{eps}}_{{split}}.tsv"
    threads: RES["threads"]
    resources:
        gpu=1,
        mem_mb=RES["mem_mb"],
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/attack.py"


rule attack_summary:
    input:
        [f"{R}/attacks/{a}/{e}/{s}.json" for a, e in GRID for s in SPLITS],
    output:
        f"{R}/attacks/summary.csv",
    log:
        f"{R}/logs/attack_summary.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/attack_summary.py"
