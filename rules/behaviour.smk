# Behaviour of every run (eq. 2 for prediction, eq. 3 with returns for bandits), and targets.


# Dissimilarity from the Bayes-optimal agent per checkpoint of every run of one task: one
# table per seed and the task's table of all seeds (one job per task: each seed takes seconds).
rule measure_behaviour:
    input:
        traces=seeds_of_task(PATH.trace),
    output:
        tables=all_seeds(PATH.behaviour_of_seed),
        table=PATH.behaviour,
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
        per_seed(PATH.checkpoints, TASKS),


rule traces:
    input:
        per_seed(PATH.trace, TASKS),


rule behaviour:
    input:
        expand(rules.measure_behaviour.output.table, task=TASKS),
