# Stage 5: one detector per (kind, attack, eps), trained on balanced clean + adversarial data.
rule train_detector:
    input:
        unpack(lambda wc: {f"adv_{s}": adv_path(wc.attack, wc.eps, s) for s in ("train", "val")}),
        data=rules.data.output[0],
        model=rules.train_classifier.output.model,
        sal_clean=rules.saliency_clean.output[0],
        sal_adv=f"{R}/saliency/{{attack}}/{{eps}}.pt",
    output:
        model=f"{R}/detectors/{{detector}}/{{attack}}/{{eps}}/model.pt",
        history=f"{R}/detectors/{{detector}}/{{attack}}/{{eps}}/history.csv",
    params:
        detector=lambda wc: config["detectors"][wc.detector],
        training=config["detector_training"],
    log:
        f"{R}/logs/detectors/{{detector}}_{{attack}}_{{eps}}.log",
    benchmark:
        f"{R}/benchmarks/detectors/{{detector}}_{{attack}}_{{eps}}.tsv"
    threads: RES["threads"]
    resources:
        gpu=1,
        mem_mb=RES["mem_mb"],
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/train_detector.py"
