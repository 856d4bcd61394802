"""Snakemake adapter: rule plot_fig3."""

from metabayes import pipeline

pipeline.setup_logging(snakemake.log[0])
pipeline.plot_fig3(
    comparison_paths=snakemake.input.comparisons,
    trace_paths=snakemake.input.traces,
    figure_path=snakemake.output.figure,
)
