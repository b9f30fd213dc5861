# Stage 6: every fitted detector on every (attack, eps) test set -> tidy cells -> tables.
rule evaluate_detector:
    input:
        data=rules.data.output[0],
        model=rules.train_classifier.output.model,
        sal_clean=rules.saliency_clean.output[0],
        detectors=lambda wc: [detector_path(wc.detector, a, e) for a, e in GRID],
        adv=[adv_path(a, e, "test") for a, e in GRID],
        saliency=[saliency_path(a, e) for a, e in GRID],
    output:
        f"{R}/eval/{{detector}}.csv",
    params:
        grid=GRID,
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


rule tables:
    input:
        cells=expand(f"{R}/eval/{{detector}}.csv", detector=DETECTORS),
        summary=rules.attack_summary.output[0],
        classifier=rules.train_classifier.output.metrics,
    output:
        table1=f"{R}/tables/table1.csv",
        eps_matrix=f"{R}/tables/eps_matrix.csv",
        cross_attack=f"{R}/tables/cross_attack.csv",
        chosen_eps=f"{R}/tables/chosen_eps.csv",
        attack_accuracy=f"{R}/tables/attack_accuracy.csv",
        perturbation=f"{R}/tables/perturbation.csv",
        detectability=f"{R}/tables/detectability.csv",
    params:
        evaluation={k: v for k, v in config["evaluation"].items() if k != "paper"},
    log:
        f"{R}/logs/tables.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/tables.py"
