# Behaviour of every run (eq. 2 for prediction, eq. 3 with returns for bandits), and targets.


# Dissimilarity from the Bayes-optimal agent per checkpoint of one run.
rule measure_behaviour:
    input:
        trace="results/traces/{task}/seed{seed}.h5",
    output:
        table="results/behaviour/{task}/seed{seed}.csv",
    log:
        "results/logs/measure_behaviour/{task}/seed{seed}.log",
    benchmark:
        "results/benchmarks/measure_behaviour/{task}/seed{seed}.tsv"
    wildcard_constraints:
        task=alternation(TASKS),
    conda:
        "../envs/metabayes.yaml"
    script:
        "../workflow/scripts/measure_behaviour.py"


# One behaviour table per task, all seeds.
rule collect_behaviour:
    input:
        tables=seeds_of_task("results/behaviour/{task}/seed{seed}.csv"),
    output:
        table="results/behaviour/{task}.csv",
    log:
        "results/logs/collect_behaviour/{task}.log",
    benchmark:
        "results/benchmarks/collect_behaviour/{task}.tsv"
    wildcard_constraints:
        task=alternation(TASKS),
    conda:
        "../envs/metabayes.yaml"
    script:
        "../workflow/scripts/collect_behaviour.py"


# Stage targets.
rule gittins:
    input:
        expand(rules.gittins_table.output.tables, task=BANDIT),


rule train:
    input:
        per_seed("results/models/{task}/seed{seed}/checkpoints.pt", TASKS),


rule traces:
    input:
        per_seed("results/traces/{task}/seed{seed}.h5", TASKS),


rule behaviour:
    input:
        expand(rules.collect_behaviour.output.table, task=TASKS),
