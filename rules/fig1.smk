# Figure 1: the meta-learner and Opt past the training horizon (paper §4.1, Fig. 1).


# Figure 1's numbers: the first seed's final meta-learner and Opt on three episodes, 1.5 T steps
# (episodes chosen by a rule from the run's trace: metabayes.analysis.generalisation).
rule generalisation_examples:
    input:
        checkpoints=expand(PATH.checkpoints, task=FIG1_TASKS, seed=SEEDS[0]),
        traces=expand(PATH.trace, task=FIG1_TASKS, seed=SEEDS[0]),
        tables=expand(PATH.tables, task=[t for t in FIG1_TASKS if uses_tables(t)]),
    output:
        table="results/fig1.csv",
    log:
        "results/logs/generalisation_examples.log",
    benchmark:
        "results/benchmarks/generalisation_examples.tsv"
    conda:
        "../envs/metabayes.yaml"
    params:
        tasks=FIG1_TASKS,
        evaluation=SETTINGS.evaluation,
        split=SETTINGS.split,
    script:
        "../workflow/scripts/generalisation_examples.py"


# Figure 1.
rule plot_fig1:
    input:
        table=rules.generalisation_examples.output.table,
    output:
        figure=report(
            "results/fig1.pdf",
            caption="../report/fig1.rst",
            category="Figures",
            labels={"figure": "Figure 1"},
        ),
    log:
        "results/logs/plot_fig1.log",
    benchmark:
        "results/benchmarks/plot_fig1.tsv"
    conda:
        "../envs/metabayes.yaml"
    script:
        "../workflow/scripts/plot_fig1.py"


# Target.
rule fig1:
    input:
        rules.plot_fig1.output.figure,
