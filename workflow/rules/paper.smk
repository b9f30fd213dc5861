# Stage 8: published vs reproduced numbers and claims, side by side (Markdown, and a CSV for the
# report). Each reference in `evaluation.paper` reads the tables it compares with.
rule paper_comparison:
    input:
        unpack(paper_inputs),
    output:
        markdown=f"{R}/paper_comparison.md",
        csv=in_report(f"{R}/paper_comparison.csv", "paper_comparison", "Paper comparison"),
    params:
        paper=config["evaluation"]["paper"],
        run=RUN,
        code=code("paper_comparison"),
    log:
        f"{R}/logs/paper_comparison.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/paper_comparison.py"
