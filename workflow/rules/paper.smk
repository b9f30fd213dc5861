# Stage 8: published vs reproduced numbers, side by side.
rule paper_comparison:
    input:
        reference=f"{workflow.basedir}/workflow/paper_reference.yaml",
        table1=rules.tables.output.table1,
        eps_matrix=rules.tables.output.eps_matrix,
    output:
        f"{R}/paper_comparison.md",
    params:
        paper=config["evaluation"]["paper"],
        run=RUN,
    log:
        f"{R}/logs/paper_comparison.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/paper_comparison.py"
