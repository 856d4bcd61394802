"""Snakemake adapter: rule converge."""

from metabayes import pipeline

pipeline.setup_logging(snakemake.log[0])
pipeline.converge(
    task=snakemake.wildcards.task,
    settings=snakemake.params.settings,
    trace_paths=snakemake.input.traces,
    h5_path=snakemake.output.convergence,
    csv_path=snakemake.output.table,
    figure_path=snakemake.output.figure,
)
