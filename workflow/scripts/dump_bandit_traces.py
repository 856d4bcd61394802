"""Snakemake adapter: rule dump_bandit_traces."""

from metabayes import pipeline

pipeline.setup_logging(snakemake.log[0])
pipeline.trace_bandit(
    task=snakemake.wildcards.task,
    seed=int(snakemake.wildcards.seed),
    evaluation=snakemake.params.evaluation,
    tables_path=snakemake.input.tables,
    checkpoints_path=snakemake.input.checkpoints,
    trace_path=snakemake.output.trace,
)
