"""Snakemake adapter: rules plot_memory (App. D.7) and plot_width (App. D.3)."""

from metabayes import pipeline

pipeline.setup_logging(snakemake.log[0])
plot = {"plot_memory": pipeline.plot_memory, "plot_width": pipeline.plot_width}[snakemake.rule]
plot(table_path=snakemake.input.table, figure_path=snakemake.output.figure)
