# Stage 4: saliency maps of each named saliency instance, for the clean splits and for each
# (attack, eps) of its classifier. A trained method is fitted once first (train_saliency).
rule train_saliency:
    input:
        unpack(lambda wc: INPUTS.train_saliency(wc.saliency).files),
    output:
        model=PATHS.saliency_state("{saliency}"),
        history=PATHS.saliency_state("{saliency}", "history.csv"),
    params:
        settings=lambda wc: PLAN.saliency_settings(wc.saliency),
        runtime=RUNTIME,
        code=code("train_saliency"),
    log:
        f"{RUN_DIR}/logs/saliency/{{saliency}}_train.log",
    benchmark:
        f"{RUN_DIR}/benchmarks/saliency/{{saliency}}_train.tsv"
    threads: RESOURCES["threads"]
    resources:
        gpu=gpu,
        **sized("train_saliency"),
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/train_saliency.py"


rule saliency_clean:
    input:
        unpack(lambda wc: INPUTS.saliency(wc.saliency).files),
    output:
        PATHS.saliency("{saliency}"),
    params:
        settings=lambda wc: PLAN.saliency_settings(wc.saliency),
        train_limit=lambda wc: PLAN.saliency_train_limit(wc.saliency),
        runtime=RUNTIME,
        code=code("saliency"),
    log:
        f"{RUN_DIR}/logs/saliency/{{saliency}}_clean.log",
    benchmark:
        f"{RUN_DIR}/benchmarks/saliency/{{saliency}}_clean.tsv"
    threads: RESOURCES["threads"]
    resources:
        gpu=gpu,
        **sized("saliency_clean"),
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/saliency.py"


rule saliency_adv:
    input:
        unpack(lambda wc: INPUTS.saliency(wc.saliency, wc.attack, wc.eps).files),
    output:
        PATHS.saliency("{saliency}", "{attack}", "{eps}"),
    params:
        settings=lambda wc: PLAN.saliency_settings(wc.saliency),
        train_limit=None,
        runtime=RUNTIME,
        code=code("saliency"),
    log:
        f"{RUN_DIR}/logs/saliency/{{saliency}}_{{attack}}_{{eps}}.log",
    benchmark:
        f"{RUN_DIR}/benchmarks/saliency/{{saliency}}_{{attack}}_{{eps}}.tsv"
    threads: RESOURCES["threads"]
    resources:
        gpu=gpu,
        **sized("saliency_adv"),
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/saliency.py"


# model_based_saliency2020 Table 1: how far each instance's maps move under each attack, against
# the distance between the maps of two different clean images (Mann-Whitney U); Table 5: how far
# apart two attacks' maps of the same image are.
rule saliency_shift:
    input:
        unpack(lambda wc: INPUTS.shift(wc.saliency).files),
    output:
        shift=in_report(PATHS.table("saliency_shift_{saliency}"), "saliency_shift", "Tables"),
        pairs=in_report(PATHS.table("saliency_pairs_{saliency}"), "saliency_pairs", "Tables"),
    params:
        lists=lambda wc: INPUTS.shift(wc.saliency).keys,
        settings=lambda wc: PLAN.saliency_settings(wc.saliency),
        runtime=RUNTIME,
        code=code("saliency_shift"),
    log:
        f"{RUN_DIR}/logs/saliency/{{saliency}}_shift.log",
    benchmark:
        f"{RUN_DIR}/benchmarks/saliency/{{saliency}}_shift.tsv"
    threads: RESOURCES["threads"]
    resources:
        gpu=gpu,
        **sized("saliency_shift"),
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/saliency_shift.py"
