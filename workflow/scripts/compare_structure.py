"""Snakemake adapter: rule compare_structure."""

from metabayes import pipeline

pipeline.setup_logging(snakemake.log[0])
pipeline.compare_structure(
    task=snakemake.wildcards.task,
    settings=snakemake.params.settings,
    trace_path=snakemake.input.trace,
    checkpoints_path=snakemake.input.checkpoints,
    tables_path=snakemake.input.get("tables"),
    csv_path=snakemake.output.table,
    comparisons_path=snakemake.output.comparisons,
    threads=snakemake.threads,
)
