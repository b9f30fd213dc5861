# Stage 5b (Metzen Sec. 3.3): each dynamic attack against each detector it names, at each eps:
# the detector retrained by dynamic adversary training, then the adversary at every sigma against
# the static and the dynamic version -> tables/dynamic.csv, tables/adaptive.csv and Fig. 5.
rule train_dynamic_detector:
    input:
        unpack(dynamic_inputs),
    output:
        model=f"{R}/dynamic/{{attack}}/{{eps}}/{{detector}}/dynamic_detector.pt",
        history=f"{R}/dynamic/{{attack}}/{{eps}}/{{detector}}/history.csv",
    params:
        settings=lambda wc: attack_settings(config, wc.attack),
        detector=lambda wc: detector_settings(config, wc.detector),
        saliency=saliency_settings_of,
        options=config["attack_options"],
        runtime=RUNTIME,
        code=code("train_dynamic_detector"),
    log:
        f"{R}/logs/dynamic/{{attack}}_{{eps}}_{{detector}}_training.log",
    benchmark:
        f"{R}/benchmarks/dynamic/{{attack}}_{{eps}}_{{detector}}_training.tsv"
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
        f"{R}/dynamic/{{attack}}/{{eps}}/{{detector}}/{{version}}.csv",
    params:
        settings=lambda wc: attack_settings(config, wc.attack),
        saliency=saliency_settings_of,
        options=config["attack_options"],
        runtime=RUNTIME,
        code=code("dynamic_attack"),
    log:
        f"{R}/logs/dynamic/{{attack}}_{{eps}}_{{detector}}_{{version}}.log",
    benchmark:
        f"{R}/benchmarks/dynamic/{{attack}}_{{eps}}_{{detector}}_{{version}}.tsv"
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
        [dynamic_path(a, e, d, v) for a, e, d in DYNAMIC for v in VERSIONS],
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
