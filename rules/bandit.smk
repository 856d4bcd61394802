# The bandit half of the paper: Gittins tables → train → traces (behaviour in rules/behaviour.smk).


# Gittins-index tables of both arms, and exact values of the Gittins, DP and random policies.
rule gittins_table:
    output:
        tables=PATH.tables,
    log:
        "results/logs/gittins_table/{task}.log",
    benchmark:
        "results/benchmarks/gittins_table/{task}.tsv"
    wildcard_constraints:
        task=alternation(BANDIT),
    conda:
        "../envs/metabayes.yaml"
    params:
        episode_length=SETTINGS.evaluation.episode_length,
    script:
        "../workflow/scripts/gittins_table.py"


# Meta-train one LSTM on one bandit task (actor-critic, V-trace targets), with checkpoints.
rule train_bandit_agent:
    input:
        tables=PATH.tables,
    output:
        checkpoints=PATH.checkpoints,
        training_log=PATH.training_log,
    log:
        "results/logs/train_bandit_agent/{task}/seed{seed}.log",
    benchmark:
        "results/benchmarks/train_bandit_agent/{task}/seed{seed}.tsv"
    wildcard_constraints:
        task=alternation(BANDIT),
    conda:
        "../envs/metabayes.yaml"
    threads: SETTINGS.threads["bandit"]
    params:
        settings=SETTINGS.training["bandit"],
    script:
        "../workflow/scripts/train_bandit_agent.py"


# Every checkpoint, the Gittins, DP and random agents on the evaluation reward tables, and the
# Gittins agent fed each checkpoint's own action-reward stream, for every run of one task, and
# each checkpoint's behaviour (eq. 3, returns): one table per seed and the task's table (one
# job per task: a run takes seconds).
rule dump_bandit_traces:
    input:
        tables=PATH.tables,
        checkpoints=seeds_of_task(PATH.checkpoints),
    output:
        traces=all_seeds(PATH.trace),
        behaviour=all_seeds(PATH.behaviour_of_seed),
        behaviour_table=PATH.behaviour,
    log:
        "results/logs/dump_bandit_traces/{task}.log",
    benchmark:
        "results/benchmarks/dump_bandit_traces/{task}.tsv"
    wildcard_constraints:
        task=alternation(BANDIT),
    conda:
        "../envs/metabayes.yaml"
    params:
        evaluation=SETTINGS.evaluation,
        seeds=SEEDS,
    script:
        "../workflow/scripts/dump_traces.py"
