# The appendix experiments on memory size (paper App. D.3 and D.7; config block `ablation`):
# the main rules for training, traces and behaviour used again at other LSTM widths, with
# `width{width}` in their paths, then the tables and figures of both experiments. A task's
# runs at its kind's main width are its main runs, not trained again.


# Training, traces and behaviour at a width: the main rules with widened paths.
use rule train_predictors as train_predictors_at_width with:
    output:
        checkpoints=ablation_outputs(widened(PATH.checkpoints)),
        training_logs=ablation_outputs(widened(PATH.training_log)),
    log:
        "results/logs/train_predictors_at_width/width{width}/{task}.log",
    benchmark:
        "results/benchmarks/train_predictors_at_width/width{width}/{task}.tsv"
    wildcard_constraints:
        task=alternation(ABLATION_PREDICTION),
    params:
        settings=training_at_width,
        seeds=ABLATION_SEEDS,


use rule train_bandit_agent as train_bandit_agent_at_width with:
    output:
        checkpoints=widened(PATH.checkpoints),
        training_log=widened(PATH.training_log),
    log:
        "results/logs/train_bandit_agent_at_width/width{width}/{task}/seed{seed}.log",
    benchmark:
        "results/benchmarks/train_bandit_agent_at_width/width{width}/{task}/seed{seed}.tsv"
    wildcard_constraints:
        task=alternation(ABLATION_BANDIT),
    params:
        settings=training_at_width,


use rule dump_prediction_traces as dump_prediction_traces_at_width with:
    input:
        checkpoints=ablation_seeds_of(widened(PATH.checkpoints)),
    output:
        traces=ablation_outputs(widened(PATH.trace)),
        behaviour=ablation_outputs(widened(PATH.behaviour_of_seed)),
        behaviour_table=widened(PATH.behaviour),
    log:
        "results/logs/dump_prediction_traces_at_width/width{width}/{task}.log",
    benchmark:
        "results/benchmarks/dump_prediction_traces_at_width/width{width}/{task}.tsv"
    wildcard_constraints:
        task=alternation(ABLATION_PREDICTION),
    params:
        evaluation=SETTINGS.evaluation,
        seeds=ABLATION_SEEDS,


use rule dump_bandit_traces as dump_bandit_traces_at_width with:
    input:
        tables=PATH.tables,
        checkpoints=ablation_seeds_of(widened(PATH.checkpoints)),
    output:
        traces=ablation_outputs(widened(PATH.trace)),
        behaviour=ablation_outputs(widened(PATH.behaviour_of_seed)),
        behaviour_table=widened(PATH.behaviour),
    log:
        "results/logs/dump_bandit_traces_at_width/width{width}/{task}.log",
    benchmark:
        "results/benchmarks/dump_bandit_traces_at_width/width{width}/{task}.tsv"
    wildcard_constraints:
        task=alternation(ABLATION_BANDIT),
    params:
        evaluation=SETTINGS.evaluation,
        seeds=ABLATION_SEEDS,


# Final behaviour (App. D.7) and convergence speed (App. D.3) of every run of every width.
rule tabulate_ablation:
    input:
        behaviour=[ablation_behaviour(t, w) for t, w in ABLATION_CELLS],
    output:
        memory=report(
            "results/memory.csv",
            caption="../report/memory_table.rst",
            category="Appendix",
            labels={"table": "reduced memory (App. D.7)"},
        ),
        speed=report(
            "results/width.csv",
            caption="../report/width_table.rst",
            category="Appendix",
            labels={"table": "width ablation (App. D.3)"},
        ),
    log:
        "results/logs/tabulate_ablation.log",
    benchmark:
        "results/benchmarks/tabulate_ablation.tsv"
    conda:
        "../envs/metabayes.yaml"
    params:
        widths=[w for _, w in ABLATION_CELLS],
        seeds=ABLATION_SEEDS,
        main_width={kind: SETTINGS.training[kind].hidden_size for kind in TASK_NAMES},
        speed_factor=ABLATION.speed_factor,
    script:
        "../workflow/scripts/tabulate_ablation.py"


# Final behaviour against the LSTM width (App. D.7).
rule plot_memory:
    input:
        table=rules.tabulate_ablation.output.memory,
    output:
        figure=report(
            "results/fig_memory.pdf",
            caption="../report/fig_memory.rst",
            category="Appendix",
            labels={"figure": "reduced memory (App. D.7)"},
        ),
    log:
        "results/logs/plot_memory.log",
    benchmark:
        "results/benchmarks/plot_memory.tsv"
    conda:
        "../envs/metabayes.yaml"
    script:
        "../workflow/scripts/plot_ablation.py"


# Convergence speed against the LSTM width (App. D.3).
rule plot_width:
    input:
        table=rules.tabulate_ablation.output.speed,
    output:
        figure=report(
            "results/fig_width.pdf",
            caption="../report/fig_width.rst",
            category="Appendix",
            labels={"figure": "width ablation (App. D.3)"},
        ),
    log:
        "results/logs/plot_width.log",
    benchmark:
        "results/benchmarks/plot_width.tsv"
    conda:
        "../envs/metabayes.yaml"
    script:
        "../workflow/scripts/plot_ablation.py"


# Targets.
rule fig_memory:
    input:
        rules.plot_memory.output.figure,


rule fig_width:
    input:
        rules.plot_width.output.figure,


rule ablation:
    input:
        rules.plot_memory.output.figure,
        rules.plot_width.output.figure,
