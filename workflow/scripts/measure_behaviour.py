"""Snakemake adapter: rule measure_behaviour."""

from metabayes import pipeline

pipeline.setup_logging(snakemake.log[0])
pipeline.measure_task_behaviour(
    task=snakemake.wildcards.task,
    trace_paths=snakemake.input.traces,
    csv_paths=snakemake.output.tables,
    task_csv_path=snakemake.output.table,
)
