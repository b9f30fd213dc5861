# Stage 5b: attacks that see the detector (Metzen's dynamic adversary, the 2020 paper's white-box
# attack), each against each detector it names, at each eps, once per seed: the detector
# retrained against it, then the attack (at every sigma, for Metzen's) against the static and
# the retrained version -> tables/dynamic.csv + adaptive.csv + Fig. 5; tables/whitebox.csv
# (Table 3). Seed k > 0 refits the static detector with the run's seed + k.
use rule train_detector as train_detector_seeded with:
    output:
        model=f"{R}/detectors/{{detector}}/{{attack}}/{{eps}}/seed{{seed}}/model.pt",
        history=f"{R}/detectors/{{detector}}/{{attack}}/{{eps}}/seed{{seed}}/history.csv",
    params:
        runtime=seeded,
    log:
        f"{R}/logs/detectors/{{detector}}_{{attack}}_{{eps}}_seed{{seed}}.log",
    benchmark:
        f"{R}/benchmarks/detectors/{{detector}}_{{attack}}_{{eps}}_seed{{seed}}.tsv"


rule train_dynamic_detector:
    input:
        unpack(dynamic_inputs),
    output:
        model=f"{R}/dynamic/{{attack}}/{{eps}}/{{detector}}/seed{{seed}}/dynamic_detector.pt",
        history=f"{R}/dynamic/{{attack}}/{{eps}}/{{detector}}/seed{{seed}}/history.csv",
    params:
        settings=lambda wc: attack_settings(config, wc.attack),
        detector=lambda wc: detector_settings(config, wc.detector),
        saliency=saliency_settings_of,
        options=config["attack_options"],
        runtime=seeded,
        code=code("train_dynamic_detector"),
    log:
        f"{R}/logs/dynamic/{{attack}}_{{eps}}_{{detector}}_seed{{seed}}_training.log",
    benchmark:
        f"{R}/benchmarks/dynamic/{{attack}}_{{eps}}_{{detector}}_seed{{seed}}_training.tsv"
    threads: RES["threads"]
    resources:
        gpu=1,
        mem_mb=RES["mem_mb"],
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/train_dynamic_detector.py"


rule dynamic_attack:
    input:
        unpack(dynamic_attack_inputs),
    output:
        f"{R}/dynamic/{{attack}}/{{eps}}/{{detector}}/seed{{seed}}/{{version}}.csv",
    params:
        settings=lambda wc: attack_settings(config, wc.attack),
        saliency=saliency_settings_of,
        options=config["attack_options"],
        runtime=seeded,
        code=code("dynamic_attack"),
    log:
        f"{R}/logs/dynamic/{{attack}}_{{eps}}_{{detector}}_seed{{seed}}_{{version}}.log",
    benchmark:
        f"{R}/benchmarks/dynamic/{{attack}}_{{eps}}_{{detector}}_seed{{seed}}_{{version}}.tsv"
    threads: RES["threads"]
    resources:
        gpu=1,
        mem_mb=RES["mem_mb"],
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/dynamic_attack.py"


rule dynamic_tables:
    input:
        [dynamic_path(a, e, d, k, v) for a, e, d, k in DYNAMIC for v in VERSIONS],
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
        [dynamic_path(a, e, d, k, v) for a, e, d, k in WHITEBOX for v in VERSIONS],
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
