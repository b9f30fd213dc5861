# Stage 5b, retraining attacks: attacks that see the detector and that the detector is retrained
# against (Metzen's dynamic adversary, the 2020 paper's white-box attack), each against each
# detector it names, at each eps, once per seed: the retrained detector, then the attack (at
# every sigma, for Metzen's) against the static and the retrained ("dynamic") version ->
# tables/dynamic.csv + adaptive.csv + Fig. 5; tables/whitebox.csv (Table 3). Seed k > 0 refits
# the static detector with the run's seed + k.
use rule train_detector as train_detector_seeded with:
    output:
        model=PATHS.detector("{detector}", "{attack}", "{eps}", "{seed}"),
        history=PATHS.detector("{detector}", "{attack}", "{eps}", "{seed}", "history.csv"),
    params:
        runtime=seeded,
    log:
        f"{R}/logs/detectors/{{detector}}_{{attack}}_{{eps}}_seed{{seed}}.log",
    benchmark:
        f"{R}/benchmarks/detectors/{{detector}}_{{attack}}_{{eps}}_seed{{seed}}.tsv"


rule train_dynamic_detector:
    input:
        unpack(lambda wc: I.retrain(wc.attack, wc.eps, wc.detector, wc.seed).files),
    output:
        model=PATHS.retrained("{attack}", "{eps}", "{detector}", "{seed}", "dynamic_detector.pt"),
        history=PATHS.retrained("{attack}", "{eps}", "{detector}", "{seed}", "history.csv"),
    params:
        settings=lambda wc: P.attack_settings(wc.attack),
        detector=lambda wc: P.detector_settings(wc.detector),
        saliency=lambda wc: P.saliency_settings(P.saliency_of(wc.detector)),
        options=config["attack_options"],
        runtime=seeded,
        code=code("train_dynamic_detector"),
    log:
        f"{R}/logs/dynamic/{{attack}}_{{eps}}_{{detector}}_seed{{seed}}_training.log",
    benchmark:
        f"{R}/benchmarks/dynamic/{{attack}}_{{eps}}_{{detector}}_seed{{seed}}_training.tsv"
    threads: RES["threads"]
    resources:
        gpu=gpu,
        **sized("train_dynamic_detector"),
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/train_dynamic_detector.py"


rule dynamic_attack:
    input:
        unpack(lambda wc: I.versus(wc.attack, wc.eps, wc.detector, wc.seed, wc.version).files),
    output:
        PATHS.versus("{attack}", "{eps}", "{detector}", "{seed}", "{version}"),
    params:
        settings=lambda wc: P.attack_settings(wc.attack),
        saliency=lambda wc: P.saliency_settings(P.saliency_of(wc.detector)),
        options=config["attack_options"],
        runtime=seeded,
        code=code("dynamic_attack"),
    log:
        f"{R}/logs/dynamic/{{attack}}_{{eps}}_{{detector}}_seed{{seed}}_{{version}}.log",
    benchmark:
        f"{R}/benchmarks/dynamic/{{attack}}_{{eps}}_{{detector}}_seed{{seed}}_{{version}}.tsv"
    threads: RES["threads"]
    resources:
        gpu=gpu,
        **sized("dynamic_attack"),
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/dynamic_attack.py"


rule dynamic_tables:
    input:
        [PATHS.versus(a, e, d, k, v) for a, e, d, k in P.dynamic for v in P.versions],
    output:
        dynamic=table("dynamic"),
        adaptive=table("adaptive"),
    params:
        threshold=config["evaluation"]["accuracy_threshold"],
        code=code("dynamic_tables"),
    log:
        f"{R}/logs/dynamic_tables.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/dynamic_tables.py"


rule whitebox_table:
    input:
        [PATHS.versus(a, e, d, k, v) for a, e, d, k in P.whitebox for v in P.versions],
    output:
        table("whitebox"),
    params:
        code=code("whitebox_table"),
    log:
        f"{R}/logs/whitebox_table.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/whitebox_table.py"
