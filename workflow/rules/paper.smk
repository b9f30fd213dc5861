# Stage 8: published vs reproduced numbers, side by side (Markdown, and a CSV for the report).
rule paper_comparison:
    input:
        reference=f"{workflow.basedir}/workflow/paper_reference.yaml",
        table1=rules.tables.output.table1,
        eps_matrix=rules.tables.output.eps_matrix,
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
