# Stage targets. The behaviour of every run (eq. 2 for prediction, eq. 3 with returns for
# bandits) is measured by the job that dumps its task's traces (rules/prediction.smk,
# rules/bandit.smk): it takes a second per run, and a job of its own several of start-up.


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
        expand(PATH.behaviour, task=TASKS),
