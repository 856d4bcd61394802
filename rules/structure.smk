# Structural comparison by approximate simulation (paper §3.4, §4.3), the numbers behind
# Figure 4 (fig7), Figures 3 and 4, and the claims table.


# D_s and D_o in both directions at the init and final checkpoints of every run of one task,
# under the main analysis (structure table, comparison file) and under every analysis variant
# (robustness stage), in one pass that fits each shared ϕ once; the task's table of all runs;
# and the task's Figure 3 (App. D.5) at the final checkpoint and untrained (App. D.1), first
# seed. One job per task: a run takes seconds to minutes, and a job's start-up several seconds.
rule compare_structure:
    input:
        unpack(structure_inputs),
    output:
        tables=all_seeds(PATH.structure_of_seed),
        comparisons=all_seeds(PATH.comparisons),
        variants=all_seeds(PATH.robustness_of_seed),
        table=PATH.structure,
        figure=report(
            PATH.fig3_of_task,
            caption="../report/fig3_task.rst",
            category="Figure 3, every task",
            labels={"task": "{task}"},
        ),
    log:
        "results/logs/compare_structure/{task}.log",
    benchmark:
        "results/benchmarks/compare_structure/{task}.tsv"
    wildcard_constraints:
        task=alternation(TASKS),
    conda:
        "../envs/metabayes.yaml"
    threads: SETTINGS.threads["structure"]
    params:
        settings=structure_settings,
        variants=SETTINGS.variants,
    script:
        "../workflow/scripts/compare_structure.py"


# Median and 5-95 % quantiles over seeds of every Figure 4 column (paper Fig. 7).
rule tabulate_fig7:
    input:
        behaviour=expand(PATH.behaviour, task=TASKS),
        structure=expand(PATH.structure, task=TASKS),
    output:
        table=report(
            "results/fig7.csv",
            caption="../report/fig7.rst",
            category="Tables",
            labels={"table": "Figure 7 (numbers of Figure 4)"},
        ),
        latex="results/fig7.tex",
    log:
        "results/logs/tabulate_fig7.log",
    benchmark:
        "results/benchmarks/tabulate_fig7.tsv"
    conda:
        "../envs/metabayes.yaml"
    params:
        tasks=TASKS,
    script:
        "../workflow/scripts/tabulate_fig7.py"


# Figure 4: behaviour and both simulation directions, init vs final, every task.
rule plot_fig4:
    input:
        table=rules.tabulate_fig7.output.table,
    output:
        figure=report(
            "results/fig4.pdf",
            caption="../report/fig4.rst",
            category="Figures",
            labels={"figure": "Figure 4"},
        ),
    log:
        "results/logs/plot_fig4.log",
    benchmark:
        "results/benchmarks/plot_fig4.tsv"
    conda:
        "../envs/metabayes.yaml"
    script:
        "../workflow/scripts/plot_fig4.py"


# Figure 3: state spaces and both embeddings of the final checkpoint, first seed.
rule plot_fig3:
    input:
        comparisons=expand(PATH.comparisons, task=FIG3_TASKS, seed=SEEDS[0]),
        traces=expand(PATH.trace, task=FIG3_TASKS, seed=SEEDS[0]),
    output:
        figure=report(
            "results/fig3.pdf",
            caption="../report/fig3.rst",
            category="Figures",
            labels={"figure": "Figure 3"},
        ),
    log:
        "results/logs/plot_fig3.log",
    benchmark:
        "results/benchmarks/plot_fig3.tsv"
    conda:
        "../envs/metabayes.yaml"
    script:
        "../workflow/scripts/plot_fig3.py"


# The structural claims' verdicts under every analysis variant, every task.
rule tabulate_robustness:
    input:
        behaviour=expand(PATH.behaviour, task=TASKS),
        variants=per_seed(PATH.robustness_of_seed, TASKS),
    output:
        table="results/robustness.csv",
        markdown=report(
            "results/robustness.md",
            caption="../report/robustness.rst",
            category="Claims",
            labels={"table": "structural claims under every analysis choice"},
        ),
    log:
        "results/logs/tabulate_robustness.log",
    benchmark:
        "results/benchmarks/tabulate_robustness.tsv"
    conda:
        "../envs/metabayes.yaml"
    script:
        "../workflow/scripts/tabulate_robustness.py"


# The paper's claims, the numbers we measured and a verdict from stated criteria (App. D.7's
# from the width ablation, where one is configured).
rule write_claims:
    input:
        behaviour=expand(PATH.behaviour, task=TASKS),
        structure=expand(PATH.structure, task=TASKS),
        convergence=expand(PATH.convergence_table, task=TASKS),
        memory=rules.tabulate_ablation.output.memory if ABLATION_CELLS else [],
    output:
        claims=report(
            "results/claims.md",
            caption="../report/claims.rst",
            category="Claims",
            labels={"table": "claims of the paper"},
        ),
    log:
        "results/logs/write_claims.log",
    benchmark:
        "results/benchmarks/write_claims.tsv"
    conda:
        "../envs/metabayes.yaml"
    script:
        "../workflow/scripts/write_claims.py"


# Targets.
rule structure:
    input:
        expand(PATH.structure, task=TASKS),


rule robustness:
    input:
        rules.tabulate_robustness.output,


rule fig3:
    input:
        rules.plot_fig3.output.figure,


rule fig4:
    input:
        rules.plot_fig4.output.figure,


rule fig3_all:
    input:
        expand(PATH.fig3_of_task, task=TASKS),
