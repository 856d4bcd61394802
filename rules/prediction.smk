# The prediction half of the paper: train → traces (behaviour in rules/behaviour.smk).


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
    threads: config["prediction"]["threads"]
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
    params:
        evaluation=EVALUATION_SETTINGS,
    script:
        "../workflow/scripts/dump_prediction_traces.py"
