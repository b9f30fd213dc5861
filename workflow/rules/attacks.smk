# Stage 3: one job per (attack, eps), writing every split (one job start-up, not three; each
# split keeps its own seed); clean and adversarial stay index-aligned.
# An attack `against` a detector also reads that detector (fitted to `against_fit` at this eps)
# and, where the detector reads saliency, the saliency instance's trained state.
rule attack:
    input:
        unpack(lambda wc: INPUTS.attack(wc.attack, wc.eps).files),
    output:
        adv=[PATHS.adv("{attack}", "{eps}", split) for split in PLAN.splits],
        stats=[PATHS.adv("{attack}", "{eps}", split, "json") for split in PLAN.splits],
    params:
        splits=PLAN.splits,
        settings=lambda wc: PLAN.attack_settings(wc.attack),
        against=lambda wc: PLAN.against_settings(wc.attack),
        options=config["attack_options"],
        runtime=RUNTIME,
        code=code("attack"),
    log:
        f"{RUN_DIR}/logs/attacks/{{attack}}_{{eps}}.log",
    benchmark:
        f"{RUN_DIR}/benchmarks/attacks/{{attack}}_{{eps}}.tsv"
    threads: RESOURCES["threads"]
    resources:
        gpu=gpu,
        **sized("attack"),
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/attack.py"


rule attack_summary:
    input:
        INPUTS.attack_summary(),
    output:
        summary=PATHS.attack_summary,
        chosen_eps=table("chosen_eps"),
    params:
        evaluation=PLAN.evaluation,
        code=code("attack_summary"),
    log:
        f"{RUN_DIR}/logs/attack_summary.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/attack_summary.py"
