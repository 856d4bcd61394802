# The prediction half of the paper: train → traces → behaviour (eq. 2).


# Meta-train one LSTM on one prediction task (BPTT, log-loss, Adam), with checkpoints.
rule train_predictor:
    output:
        checkpoints="results/models/{task}/seed{seed}/checkpoints.pt",
        training_log="results/models/{task}/seed{seed}/training_log.csv",
    log:
        "results/logs/train_predictor/{task}/seed{seed}.log",
    benchmark:
        "results/benchmarks/train_predictor/{task}/seed{seed}.tsv"
    wildcard_constraints:
        task=alternation(PREDICTION),
    conda:
        "../envs/metabayes.yaml"
    threads: TRAINING_THREADS
    resources:
        mem_mb=2000,
    params:
        settings=PREDICTION_SETTINGS,
    script:
        "../workflow/scripts/train_predictor.py"


# Roll out every checkpoint and the Bayes-optimal predictor on the evaluation episodes.
rule dump_prediction_traces:
    input:
        checkpoints="results/models/{task}/seed{seed}/checkpoints.pt",
    output:
        trace="results/traces/{task}/seed{seed}.h5",
    log:
        "results/logs/dump_prediction_traces/{task}/seed{seed}.log",
    benchmark:
        "results/benchmarks/dump_prediction_traces/{task}/seed{seed}.tsv"
    wildcard_constraints:
        task=alternation(PREDICTION),
    conda:
        "../envs/metabayes.yaml"
    resources:
        mem_mb=2000,
    params:
        evaluation=EVALUATION_SETTINGS,
    script:
        "../workflow/scripts/dump_prediction_traces.py"


# Eq. 2 (summed KL from the Bayes-optimal predictor) per checkpoint of one run.
rule measure_prediction_behaviour:
    input:
        trace="results/traces/{task}/seed{seed}.h5",
    output:
        table="results/behaviour/{task}/seed{seed}.csv",
    log:
        "results/logs/measure_prediction_behaviour/{task}/seed{seed}.log",
    benchmark:
        "results/benchmarks/measure_prediction_behaviour/{task}/seed{seed}.tsv"
    wildcard_constraints:
        task=alternation(PREDICTION),
    conda:
        "../envs/metabayes.yaml"
    resources:
        mem_mb=2000,
    script:
        "../workflow/scripts/measure_prediction_behaviour.py"


# One behaviour table per task, all seeds.
rule collect_behaviour:
    input:
        tables=seeds_of_task("results/behaviour/{task}/seed{seed}.csv"),
    output:
        table="results/behaviour/{task}.csv",
    log:
        "results/logs/collect_behaviour/{task}.log",
    wildcard_constraints:
        task=alternation(PREDICTION),
    conda:
        "../envs/metabayes.yaml"
    script:
        "../workflow/scripts/collect_behaviour.py"


# Stage targets.
rule train:
    input:
        per_seed(rules.train_predictor.output.checkpoints, PREDICTION),


rule traces:
    input:
        per_seed(rules.dump_prediction_traces.output.trace, PREDICTION),


rule behaviour:
    input:
        expand(rules.collect_behaviour.output.table, task=PREDICTION),
