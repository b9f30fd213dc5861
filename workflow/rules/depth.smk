# Stage 5c (Metzen Fig. 2 right): for each detector of a kind with attachment points on a
# classifier that numbers them, one head per AD(i) per attack at its chosen eps, f run once.
rule depth_sweep:
    input:
        unpack(lambda wc: INPUTS.depth(wc.detector).files),
    output:
        in_report(PATHS.table("depth_sweep_{detector}"), "depth_sweep", "Tables"),
    params:
        lists=lambda wc: INPUTS.depth(wc.detector).keys,
        settings=lambda wc: PLAN.detector_settings(wc.detector),
        train_limit=config["attack_options"]["train_limit"],
        runtime=RUNTIME,
        code=code("depth_sweep"),
    log:
        f"{RUN_DIR}/logs/depth_sweep_{{detector}}.log",
    benchmark:
        f"{RUN_DIR}/benchmarks/depth_sweep_{{detector}}.tsv"
    threads: RESOURCES["threads"]
    resources:
        gpu=gpu,
        **sized("depth_sweep"),
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/depth_sweep.py"
