# Stage 5e (Nguyen 2018 Sec. 4 / Fig. 6): a plain and a certified two-layer net on pooled
# digits, stAdv on both (same test images) and the SDP certificate per image, then the table.
rule train_certified:
    input:
        rules.data.output[0],
    output:
        model=f"{R}/certified/{{model}}/model.pt",
        metrics=f"{R}/certified/{{model}}/metrics.json",
        history=f"{R}/certified/{{model}}/history.csv",
    params:
        settings=cert_settings,
        runtime=RUNTIME,
        code=code("train_certified"),
    log:
        f"{R}/logs/certified/train_{{model}}.log",
    benchmark:
        f"{R}/benchmarks/certified/train_{{model}}.tsv"
    threads: RES["threads"]
    resources:
        gpu=1,
        mem_mb=RES["mem_mb"],
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/train_certified.py"


rule attack_certified:
    input:
        data=rules.data.output[0],
        model=rules.train_certified.output.model,
    output:
        f"{R}/certified/{{model}}/stadv.csv",
    params:
        side=CERT.get("side"),
        test_limit=CERT.get("test_limit"),
        attack=CERT.get("attack"),
        runtime=RUNTIME,
        code=code("attack_certified"),
    log:
        f"{R}/logs/certified/attack_{{model}}.log",
    benchmark:
        f"{R}/benchmarks/certified/attack_{{model}}.tsv"
    threads: RES["threads"]
    resources:
        gpu=1,
        mem_mb=RES["mem_mb"],
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/attack_certified.py"


rule certify:
    input:
        data=rules.data.output[0],
        model=rules.train_certified.output.model,
    output:
        f"{R}/certified/{{model}}/certificates.csv",
    params:
        settings={k: CERT.get(k) for k in ("side", "test_limit", "eps", "tighten_steps", "sdp_limit")},
        seed=config["seed"],
        code=code("certify"),
    log:
        f"{R}/logs/certified/certify_{{model}}.log",
    benchmark:
        f"{R}/benchmarks/certified/certify_{{model}}.tsv"
    threads: 1  # small batched eigendecompositions and SCS: 2 threads ran 10x slower here
    resources:
        mem_mb=RES["mem_mb"],
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/certify.py"


rule certified_table:
    input:
        metrics=expand(rules.train_certified.output.metrics, model=CERT_MODELS),
        attacks=expand(rules.attack_certified.output[0], model=CERT_MODELS),
        certificates=expand(rules.certify.output[0], model=CERT_MODELS),
    output:
        table("certified"),
    params:
        models=CERT_MODELS,
        eps=CERT.get("eps"),
        budget=(CERT.get("attack") or {}).get("eps"),
        code=code("certified_table"),
    log:
        f"{R}/logs/certified/table.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/certified_table.py"


rule figure_certified:
    input:
        table=rules.certified_table.output[0],
        certificates=rules.certified_table.input.certificates,
    output:
        in_report(figure("certified"), "certified_figure", "Figures"),
    params:
        models=CERT_MODELS,
        plots=PLOTS,
        code=code("figure_certified"),
    log:
        f"{R}/logs/figures/certified.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/figure_certified.py"
