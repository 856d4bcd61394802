"""Snakemake adapter: rules dump_prediction_traces and dump_bandit_traces (and their
``_at_width`` forms): the traces of a task's runs, then their behaviour tables."""

from metabayes import pipeline

pipeline.setup_logging(snakemake.log[0])
pipeline.trace_task(
    task=snakemake.wildcards.task,
    seeds=snakemake.params.seeds,
    evaluation=snakemake.params.evaluation,
    tables_path=snakemake.input.get("tables"),
    checkpoints_paths=snakemake.input.checkpoints,
    trace_paths=snakemake.output.traces,
)
pipeline.measure_task_behaviour(
    task=snakemake.wildcards.task,
    trace_paths=snakemake.output.traces,
    csv_paths=snakemake.output.behaviour,
    task_csv_path=snakemake.output.behaviour_table,
)
