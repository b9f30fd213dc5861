# Stage 6: every fitted detector of an instance on every (attack, eps) test set of its
# classifier -> tidy cells -> tables. Inputs are named fit|<attack>|<eps>, adv|..., sal|...
rule evaluate_detector:
    input:
        unpack(evaluate_inputs),
    output:
        f"{R}/eval/{{detector}}.csv",
    params:
        settings=lambda wc: detector_settings(config, wc.detector),
        combined=lambda wc: fits_of(wc.detector) if config["detectors"][wc.detector]["combined"] else None,
        runtime=RUNTIME,
        code=code("evaluate_detector"),
    log:
        f"{R}/logs/eval/{{detector}}.log",
    benchmark:
        f"{R}/benchmarks/eval/{{detector}}.tsv"
    threads: RES["threads"]
    resources:
        gpu=1,
        mem_mb=RES["mem_mb"],
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/evaluate_detector.py"


# Nguyen 2018 Tables 1-4: a contrastive detector (lan_contrast) on each attack of its `paired`
# list, clean image and its own successful adversarial side by side; an attack on another
# classifier is the transferred setting.
rule paired_table:
    input:
        unpack(paired_inputs),
    output:
        in_report(f"{R}/tables/paired_{{detector}}.csv", "paired", "Tables"),
    params:
        crafted_on=lambda wc: {a: clf_of("attacks", a) for a in config["detectors"][wc.detector]["paired"]},
        types=lambda wc: {a: config["attacks"][a]["type"] for a in config["detectors"][wc.detector]["paired"]},
        own_classifier=lambda wc: clf_of("detectors", wc.detector),
        runtime=RUNTIME,
        code=code("paired_table"),
    log:
        f"{R}/logs/eval/paired_{{detector}}.log",
    benchmark:
        f"{R}/benchmarks/eval/paired_{{detector}}.tsv"
    threads: RES["threads"]
    resources:
        gpu=1,
        mem_mb=RES["mem_mb"],
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/paired_table.py"


rule tables:
    input:
        cells=expand(f"{R}/eval/{{detector}}.csv", detector=DETECTORS_),
        summary=rules.attack_summary.output[0],
    output:
        table1=table("table1"),
        eps_matrix=table("eps_matrix"),
        cross_attack=table("cross_attack"),
        chosen_eps=table("chosen_eps"),
        attack_accuracy=table("attack_accuracy"),
        perturbation=table("perturbation"),
        detectability=table("detectability"),
        fit_test=table("fit_test"),
        combined=table("combined"),
    params:
        evaluation={k: v for k, v in config["evaluation"].items() if k != "paper"},
        fits={d: fits_of(d) for d in DETECTORS_},
        explicit=explicit_fits(),
        code=code("tables"),
    log:
        f"{R}/logs/tables.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/tables.py"
