"""Snakemake adapter: rules dump_prediction_traces and dump_bandit_traces."""

from metabayes import pipeline

pipeline.setup_logging(snakemake.log[0])
pipeline.trace(
    task=snakemake.wildcards.task,
    seed=int(snakemake.wildcards.seed),
    evaluation=snakemake.params.evaluation,
    tables_path=snakemake.input.get("tables"),
    checkpoints_path=snakemake.input.checkpoints,
    trace_path=snakemake.output.trace,
)
