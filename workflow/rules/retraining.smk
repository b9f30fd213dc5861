# Stage 5b, retraining attacks: attacks that see the detector and that the detector is retrained
# against (Metzen's dynamic adversary, the 2020 paper's white-box attack), each against each
# detector it names, at each eps, once per seed: the retrained detector, then the attack (at
# every sigma, for Metzen's) against the static and the retrained version ->
# tables/dynamic.csv + adaptive.csv + Fig. 5; tables/whitebox.csv (Table 3). Seed k > 0 refits
# the static detector with the run's seed + k.
use rule train_detector as train_detector_seeded with:
    output:
        model=PATHS.detector("{detector}", "{attack}", "{eps}", "{seed}"),
        history=PATHS.detector("{detector}", "{attack}", "{eps}", "{seed}", "history.csv"),
    params:
        runtime=seeded,
    log:
        f"{RUN_DIR}/logs/detectors/{{detector}}_{{attack}}_{{eps}}_seed{{seed}}.log",
    benchmark:
        f"{RUN_DIR}/benchmarks/detectors/{{detector}}_{{attack}}_{{eps}}_seed{{seed}}.tsv"


rule retrain_detector:
    input:
        unpack(lambda wc: INPUTS.retrain(wc.attack, wc.eps, wc.detector, wc.seed).files),
    output:
        model=PATHS.retrained("{attack}", "{eps}", "{detector}", "{seed}", "retrained_detector.pt"),
        history=PATHS.retrained("{attack}", "{eps}", "{detector}", "{seed}", "history.csv"),
    params:
        settings=lambda wc: PLAN.attack_settings(wc.attack),
        detector=lambda wc: PLAN.detector_settings(wc.detector),
        saliency=lambda wc: PLAN.saliency_settings(PLAN.saliency_of(wc.detector)),
        options=config["attack_options"],
        runtime=seeded,
        code=code("retrain_detector"),
    log:
        f"{RUN_DIR}/logs/retraining/{{attack}}_{{eps}}_{{detector}}_seed{{seed}}_training.log",
    benchmark:
        f"{RUN_DIR}/benchmarks/retraining/{{attack}}_{{eps}}_{{detector}}_seed{{seed}}_training.tsv"
    threads: RESOURCES["threads"]
    resources:
        gpu=gpu,
        **sized("retrain_detector"),
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/retrain_detector.py"


rule retraining_attack:
    input:
        unpack(lambda wc: INPUTS.versus(wc.attack, wc.eps, wc.detector, wc.seed, wc.version).files),
    output:
        PATHS.versus("{attack}", "{eps}", "{detector}", "{seed}", "{version}"),
    params:
        settings=lambda wc: PLAN.attack_settings(wc.attack),
        saliency=lambda wc: PLAN.saliency_settings(PLAN.saliency_of(wc.detector)),
        options=config["attack_options"],
        runtime=seeded,
        code=code("retraining_attack"),
    log:
        f"{RUN_DIR}/logs/retraining/{{attack}}_{{eps}}_{{detector}}_seed{{seed}}_{{version}}.log",
    benchmark:
        f"{RUN_DIR}/benchmarks/retraining/{{attack}}_{{eps}}_{{detector}}_seed{{seed}}_{{version}}.tsv"
    threads: RESOURCES["threads"]
    resources:
        gpu=gpu,
        **sized("retraining_attack"),
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/retraining_attack.py"


rule dynamic_tables:
    input:
        INPUTS.retraining_tables("dynamic"),
    output:
        dynamic=table("dynamic"),
        adaptive=table("adaptive"),
    params:
        threshold=config["evaluation"]["accuracy_threshold"],
        code=code("dynamic_tables"),
    log:
        f"{RUN_DIR}/logs/dynamic_tables.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/dynamic_tables.py"


rule whitebox_table:
    input:
        INPUTS.retraining_tables("whitebox"),
    output:
        table("whitebox"),
    params:
        code=code("whitebox_table"),
    log:
        f"{RUN_DIR}/logs/whitebox_table.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/whitebox_table.py"
