# The prediction half of the paper: train → traces (behaviour in rules/behaviour.smk).


# Meta-train the LSTMs of one prediction task, one per seed (BPTT, log-loss, Adam), with
# checkpoints. The seeds are trained as one stacked model in one job, which is faster than one
# job per seed; each seed's result does not depend on which seeds share the job.
rule train_predictors:
    output:
        checkpoints=all_seeds(PATH.checkpoints),
        training_logs=all_seeds(PATH.training_log),
    log:
        "results/logs/train_predictors/{task}.log",
    benchmark:
        "results/benchmarks/train_predictors/{task}.tsv"
    wildcard_constraints:
        task=alternation(PREDICTION),
    conda:
        "../envs/metabayes.yaml"
    threads: SETTINGS.threads["prediction"]
    params:
        settings=SETTINGS.training["prediction"],
        seeds=SEEDS,
    script:
        "../workflow/scripts/train_predictors.py"


# Roll out every checkpoint and the Bayes-optimal predictor on the evaluation episodes, for
# every run of one task, and measure each checkpoint's dissimilarity from it (eq. 2): one
# table per seed and the task's table (one job per task: a run takes seconds).
rule dump_prediction_traces:
    input:
        checkpoints=seeds_of_task(PATH.checkpoints),
    output:
        traces=all_seeds(PATH.trace),
        behaviour=all_seeds(PATH.behaviour_of_seed),
        behaviour_table=PATH.behaviour,
    log:
        "results/logs/dump_prediction_traces/{task}.log",
    benchmark:
        "results/benchmarks/dump_prediction_traces/{task}.tsv"
    wildcard_constraints:
        task=alternation(PREDICTION),
    conda:
        "../envs/metabayes.yaml"
    params:
        evaluation=SETTINGS.evaluation,
        seeds=SEEDS,
    script:
        "../workflow/scripts/dump_traces.py"
