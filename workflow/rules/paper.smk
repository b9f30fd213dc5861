# Stage 8: published vs reproduced numbers and claims, side by side (Markdown, a CSV for the
# report, a figure per paper), each row with a verdict. Each reference in `evaluation.paper`
# reads the tables it compares with; `setting` is what it must know of the run (dataset,
# networks, budgets) to tell like-for-like rows from proxies.
rule paper_comparison:
    input:
        unpack(lambda wc: INPUTS.paper(REFERENCE).files),
    output:
        markdown=f"{PATHS.comparison}.md",
        csv=in_report(f"{PATHS.comparison}.csv", "paper_comparison", "Paper comparison"),
    params:
        paper=PLAN.papers,
        setting=run_setting(PLAN.done),
        run=PLAN.run,
        spread=spread_rows(config),  # bench/seed_spread.csv's rows for this config
        code=code("paper_comparison"),
    log:
        f"{RUN_DIR}/logs/paper_comparison.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/paper_comparison.py"


# one figure per paper: published vs reproduced cells around y = x, the tolerance each must fall
# within, proxies and context cells in their own markers
rule figure_paper:
    input:
        rules.paper_comparison.output.csv,
    output:
        in_report(figure("paper_{paper}"), "paper_figure", "Paper comparison"),
    params:
        plots=PLOTS,
        code=code("figure_paper"),
    log:
        f"{RUN_DIR}/logs/figures/paper_{{paper}}.log",
    conda:
        "../../envs/advsal.yaml"
    script:
        "../scripts/figure_paper.py"
