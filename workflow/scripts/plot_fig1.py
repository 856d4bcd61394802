"""Snakemake adapter: rule plot_fig1."""

from metabayes import pipeline

pipeline.setup_logging(snakemake.log[0])
pipeline.plot_fig1(csv_path=snakemake.input.table, figure_path=snakemake.output.figure)
