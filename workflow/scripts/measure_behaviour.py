"""Snakemake adapter: rule measure_behaviour."""

from metabayes import pipeline

pipeline.setup_logging(snakemake.log[0])
pipeline.measure_behaviour(
    task=snakemake.wildcards.task,
    trace_path=snakemake.input.trace,
    csv_path=snakemake.output.table,
)
