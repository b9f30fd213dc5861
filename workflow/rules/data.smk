# Stage 1: the dataset's train/val/test splits as uint8 tensors (downloads where needed).
rule data:
    output:
        PATHS.data,
    params:
        dataset=config["dataset"],
        seed=config["seed"],
        code=code("data"),
    log:
        f"{RUN_DIR}/logs/data.log",
    benchmark:
        f"{RUN_DIR}/benchmarks/data.tsv"
    threads: 1
    resources:
        **sized("data"),
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/data.py"
