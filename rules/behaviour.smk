# Behaviour of every run (eq. 2 for prediction, eq. 3 with returns for bandits), and targets.


# Dissimilarity from the Bayes-optimal agent per checkpoint of every run of one task: one
# table per seed and the task's table of all seeds (one job per task: each seed takes seconds).
rule measure_behaviour:
    input:
        traces=seeds_of_task("results/traces/{task}/seed{seed}.h5"),
    output:
        tables=expand("results/behaviour/{{task}}/seed{seed}.csv", seed=SEEDS),
        table="results/behaviour/{task}.csv",
    log:
        "results/logs/measure_behaviour/{task}.log",
    benchmark:
        "results/benchmarks/measure_behaviour/{task}.tsv"
    wildcard_constraints:
        task=alternation(TASKS),
    conda:
        "../envs/metabayes.yaml"
    script:
        "../workflow/scripts/measure_behaviour.py"


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
        expand(rules.measure_behaviour.output.table, task=TASKS),
