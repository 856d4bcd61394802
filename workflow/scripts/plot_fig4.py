"""Snakemake adapter: rule plot_fig4."""

from metabayes import pipeline

pipeline.setup_logging(snakemake.log[0])
pipeline.plot_fig4(table_path=snakemake.input.table, figure_path=snakemake.output.figure)
