"""Snakemake adapter: rule generalisation_examples."""

from metabayes import pipeline

pipeline.setup_logging(snakemake.log[0])
pipeline.generalisation_examples(
    tasks=snakemake.params.tasks,
    checkpoint_paths=snakemake.input.checkpoints,
    trace_paths=snakemake.input.traces,
    tables_paths=snakemake.input.tables,
    evaluation=snakemake.params.evaluation,
    split=snakemake.params.split,
    csv_path=snakemake.output.table,
)
