# Convergence over training (paper §3.3, §4.2): Figure 2 and its per-task versions, and the
# behavioural illustration past the training horizon (Figure 1).


# Within-episode dissimilarity, pairwise distances of all runs and Opt, MDS, training curves.
rule converge:
    input:
        traces=seeds_of_task("results/traces/{task}/seed{seed}.h5"),
    output:
        convergence="results/convergence/{task}.h5",
        table="results/convergence/{task}.csv",
    log:
        "results/logs/converge/{task}.log",
    benchmark:
        "results/benchmarks/converge/{task}.tsv"
    wildcard_constraints:
        task=alternation(TASKS),
    conda:
        "../envs/metabayes.yaml"
    params:
        settings=CONVERGENCE_SETTINGS,
    script:
        "../workflow/scripts/converge.py"


# The supplementary convergence figure of one task (paper App. D.5).
rule plot_convergence:
    input:
        convergence=rules.converge.output.convergence,
    output:
        figure=report(
            "results/convergence/{task}.pdf",
            caption="../report/convergence.rst",
            category="Convergence per task",
            labels={"task": "{task}"},
        ),
    log:
        "results/logs/plot_convergence/{task}.log",
    benchmark:
        "results/benchmarks/plot_convergence/{task}.tsv"
    wildcard_constraints:
        task=alternation(TASKS),
    conda:
        "../envs/metabayes.yaml"
    script:
        "../workflow/scripts/plot_convergence.py"


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


# Figure 1's numbers: the first seed's final meta-learner and Opt on three episodes, 1.5 T steps.
rule generalisation_examples:
    input:
        checkpoints=expand(
            "results/models/{task}/seed{seed}/checkpoints.pt",
            task=FIG1_TASKS,
            seed=SEEDS[0],
        ),
        tables=expand(
            "results/gittins/{task}.h5", task=[t for t in FIG1_TASKS if t in BANDIT]
        ),
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
        evaluation=EVALUATION_SETTINGS,
        split=config["structure"]["split"],
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


# Targets.
rule convergence:
    input:
        expand(rules.plot_convergence.output.figure, task=TASKS),


rule fig1:
    input:
        rules.plot_fig1.output.figure,


rule fig2:
    input:
        rules.plot_fig2.output.figure,
