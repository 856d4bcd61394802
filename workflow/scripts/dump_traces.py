"""Snakemake adapter: rules dump_prediction_traces and dump_bandit_traces."""

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
