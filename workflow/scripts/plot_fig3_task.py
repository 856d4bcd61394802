"""Snakemake adapter: rule plot_fig3_task."""

from metabayes import pipeline

pipeline.setup_logging(snakemake.log[0])
pipeline.plot_fig3_task(
    comparison_path=snakemake.input.comparisons[0],
    trace_path=snakemake.input.traces[0],
    figure_path=snakemake.output.figure,
)
