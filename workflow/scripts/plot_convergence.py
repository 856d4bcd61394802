"""Snakemake adapter: rule plot_fig2 (Figure 2). Its only inputs are convergence files, so
``snakemake.input`` lists them."""

from metabayes import pipeline

pipeline.setup_logging(snakemake.log[0])
pipeline.plot_convergence(
    convergence_paths=list(snakemake.input), figure_path=snakemake.output.figure
)
