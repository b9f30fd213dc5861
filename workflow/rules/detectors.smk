# Stage 5: one detector per (instance, attack, eps) of its classifier, trained on balanced
# clean + adversarial data. Inputs follow what the registered kind reads: saliency maps only for
# kinds with needs_saliency, the frozen classifier only for kinds with needs_classifier.
rule train_detector:
    input:
        unpack(lambda wc: INPUTS.train_detector(wc.detector, wc.attack, wc.eps).files),
    output:
        model=PATHS.detector("{detector}", "{attack}", "{eps}"),
        history=PATHS.detector("{detector}", "{attack}", "{eps}", what="history.csv"),
    params:
        lists=lambda wc: INPUTS.train_detector(wc.detector, wc.attack, wc.eps).keys,
        settings=lambda wc: PLAN.detector_settings(wc.detector),
        train_limit=config["attack_options"]["train_limit"],
        runtime=RUNTIME,
        code=code("train_detector"),
    log:
        f"{RUN_DIR}/logs/detectors/{{detector}}_{{attack}}_{{eps}}.log",
    benchmark:
        f"{RUN_DIR}/benchmarks/detectors/{{detector}}_{{attack}}_{{eps}}.tsv"
    threads: RESOURCES["threads"]
    resources:
        gpu=gpu,
        **sized("train_detector"),
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/train_detector.py"
