# Stage 3: one job per (attack, eps), writing every split (one job start-up, not three; each
# split keeps its own seed); clean and adversarial stay index-aligned.
# An attack `against` a detector also reads that detector (fitted to `against_fit` at this eps)
# and, where the detector reads saliency, the saliency instance's trained state.
rule attack:
    input:
        unpack(attack_inputs),
    output:
        adv=[f"{R}/attacks/{{attack}}/{{eps}}/{split}.pt" for split in SPLITS],
        stats=[f"{R}/attacks/{{attack}}/{{eps}}/{split}.json" for split in SPLITS],
    params:
        splits=SPLITS,
        settings=lambda wc: attack_settings(config, wc.attack),
        against=against_settings,
        options=config["attack_options"],
        runtime=RUNTIME,
        code=code("attack"),
    log:
        f"{R}/logs/attacks/{{attack}}_{{eps}}.log",
    benchmark:
        f"{R}/benchmarks/attacks/{{attack}}_{{eps}}.tsv"
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
    params:
        code=code("attack_summary"),
    log:
        f"{R}/logs/attack_summary.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/attack_summary.py"
