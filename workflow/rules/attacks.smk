# Stage 3: one job per (attack, eps), writing every split (one job start-up, not three; each
# split keeps its own seed); clean and adversarial stay index-aligned.
# An attack `against` a detector also reads that detector (fitted to `against_fit` at this eps)
# and, where the detector reads saliency, the saliency instance's trained state.
rule attack:
    input:
        unpack(lambda wc: I.attack(wc.attack, wc.eps).files),
    output:
        adv=[PATHS.adv("{attack}", "{eps}", split) for split in P.splits],
        stats=[PATHS.adv("{attack}", "{eps}", split, "json") for split in P.splits],
    params:
        splits=P.splits,
        settings=lambda wc: P.attack_settings(wc.attack),
        against=lambda wc: P.against_settings(wc.attack),
        options=config["attack_options"],
        runtime=RUNTIME,
        code=code("attack"),
    log:
        f"{R}/logs/attacks/{{attack}}_{{eps}}.log",
    benchmark:
        f"{R}/benchmarks/attacks/{{attack}}_{{eps}}.tsv"
    threads: RES["threads"]
    resources:
        gpu=gpu,
        **sized("attack"),
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/attack.py"


rule attack_summary:
    input:
        [PATHS.adv(a, e, s, "json") for a, e in P.grid for s in P.splits],
    output:
        PATHS.attack_summary,
    params:
        code=code("attack_summary"),
    log:
        f"{R}/logs/attack_summary.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/attack_summary.py"
