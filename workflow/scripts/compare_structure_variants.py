"""Snakemake adapter: rule compare_structure_variants."""

from metabayes import pipeline

pipeline.setup_logging(snakemake.log[0])
pipeline.compare_structure_variants(
    task=snakemake.wildcards.task,
    settings=snakemake.params.settings,
    variants=snakemake.params.variants,
    trace_path=snakemake.input.trace,
    checkpoints_path=snakemake.input.checkpoints,
    tables_path=snakemake.input.get("tables"),
    csv_path=snakemake.output.table,
    threads=snakemake.threads,
)
