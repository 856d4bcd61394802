"""Snakemake adapter: rule compare_structure."""

from metabayes import pipeline

pipeline.setup_logging(snakemake.log[0])
pipeline.compare_task_structure(
    task=snakemake.wildcards.task,
    settings=snakemake.params.settings,
    variants=snakemake.params.variants,
    trace_paths=snakemake.input.traces,
    checkpoints_paths=snakemake.input.checkpoints,
    tables_path=snakemake.input.get("tables"),
    csv_paths=snakemake.output.tables,
    comparisons_paths=snakemake.output.comparisons,
    robustness_paths=snakemake.output.variants,
    task_csv_path=snakemake.output.table,
    fig3_path=snakemake.output.figure,
    threads=snakemake.threads,
)
