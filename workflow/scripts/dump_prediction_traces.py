"""Snakemake adapter: rule dump_prediction_traces."""

from metabayes import pipeline

pipeline.setup_logging(snakemake.log[0])
pipeline.trace_prediction(
    task=snakemake.wildcards.task,
    seed=int(snakemake.wildcards.seed),
    evaluation=snakemake.params.evaluation,
    checkpoints_path=snakemake.input.checkpoints,
    trace_path=snakemake.output.trace,
)
