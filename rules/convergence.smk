# Convergence over training (paper §3.3, §4.2): Figure 2 and its per-task versions.


# Within-episode dissimilarity, pairwise distances of all runs and Opt, MDS, training curves,
# and the task's supplementary convergence figure (paper App. D.5).
rule converge:
    input:
        traces=seeds_of_task(PATH.trace),
    output:
        convergence=PATH.convergence,
        table=PATH.convergence_table,
        figure=report(
            PATH.convergence_figure,
            caption="../report/convergence.rst",
            category="Convergence per task",
            labels={"task": "{task}"},
        ),
    log:
        "results/logs/converge/{task}.log",
    benchmark:
        "results/benchmarks/converge/{task}.tsv"
    wildcard_constraints:
        task=alternation(TASKS),
    conda:
        "../envs/metabayes.yaml"
    params:
        settings=SETTINGS.convergence,
    script:
        "../workflow/scripts/converge.py"


# Figure 2: one prediction and one bandit task.
rule plot_fig2:
    input:
        convergence=expand(rules.converge.output.convergence, task=FIG2_TASKS),
    output:
        figure=report(
            "results/fig2.pdf",
            caption="../report/fig2.rst",
            category="Figures",
            labels={"figure": "Figure 2"},
        ),
    log:
        "results/logs/plot_fig2.log",
    benchmark:
        "results/benchmarks/plot_fig2.tsv"
    conda:
        "../envs/metabayes.yaml"
    script:
        "../workflow/scripts/plot_convergence.py"


# Targets.
rule convergence:
    input:
        expand(rules.converge.output.figure, task=TASKS),


rule fig2:
    input:
        rules.plot_fig2.output.figure,
