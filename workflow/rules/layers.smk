# Stage 6b (Zhang Sec. 5, Fig. 7): Grad-CAM at a shallow, a middle and a deep layer of one
# classifier, clean vs each of its attacks at the chosen eps: a correlation per layer and maps.
rule layer_study:
    input:
        unpack(lambda wc: INPUTS.layer_study().files),
    output:
        table=in_report(PATHS.table("layer_study"), "layer_study", "Tables"),
        maps=PATHS.layer_maps,
    params:
        lists=lambda wc: INPUTS.layer_study().keys,
        settings=PLAN.layer_study,
        runtime=RUNTIME,
        code=code("layer_study"),
    log:
        f"{RUN_DIR}/logs/layer_study.log",
    benchmark:
        f"{RUN_DIR}/benchmarks/layer_study.tsv"
    threads: RESOURCES["threads"]
    resources:
        gpu=gpu,
        **sized("layer_study"),
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/layer_study.py"


rule figure_layer_study:
    input:
        table=rules.layer_study.output.table,
        maps=rules.layer_study.output.maps,
    output:
        in_report(figure("layer_study"), "layer_study_figure", "Figures"),
    params:
        plots=PLOTS,
        code=code("figure_layer_study"),
    log:
        f"{RUN_DIR}/logs/figures/layer_study.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/figure_layer_study.py"
