# The bandit half of the paper: Gittins tables → train → traces (behaviour in rules/behaviour.smk).


# Gittins-index tables of both arms, and exact values of the Gittins, DP and random policies.
rule gittins_table:
    output:
        tables="results/gittins/{task}.h5",
    log:
        "results/logs/gittins_table/{task}.log",
    benchmark:
        "results/benchmarks/gittins_table/{task}.tsv"
    wildcard_constraints:
        task=alternation(BANDIT),
    conda:
        "../envs/metabayes.yaml"
    params:
        episode_length=config["episode_length"],
    script:
        "../workflow/scripts/gittins_table.py"


# Meta-train one LSTM on one bandit task (actor-critic, V-trace targets), with checkpoints.
rule train_bandit_agent:
    input:
        tables="results/gittins/{task}.h5",
    output:
        checkpoints="results/models/{task}/seed{seed}/checkpoints.pt",
        training_log="results/models/{task}/seed{seed}/training_log.csv",
    log:
        "results/logs/train_bandit_agent/{task}/seed{seed}.log",
    benchmark:
        "results/benchmarks/train_bandit_agent/{task}/seed{seed}.tsv"
    wildcard_constraints:
        task=alternation(BANDIT),
    conda:
        "../envs/metabayes.yaml"
    threads: config["bandit"]["threads"]
    params:
        settings=BANDIT_SETTINGS,
    script:
        "../workflow/scripts/train_bandit_agent.py"


# Every checkpoint, the Gittins, DP and random agents on the evaluation reward tables, and the
# Gittins agent fed each checkpoint's own action-reward stream.
rule dump_bandit_traces:
    input:
        tables="results/gittins/{task}.h5",
        checkpoints="results/models/{task}/seed{seed}/checkpoints.pt",
    output:
        trace="results/traces/{task}/seed{seed}.h5",
    log:
        "results/logs/dump_bandit_traces/{task}/seed{seed}.log",
    benchmark:
        "results/benchmarks/dump_bandit_traces/{task}/seed{seed}.tsv"
    wildcard_constraints:
        task=alternation(BANDIT),
    conda:
        "../envs/metabayes.yaml"
    params:
        evaluation=EVALUATION_SETTINGS,
    script:
        "../workflow/scripts/dump_bandit_traces.py"
