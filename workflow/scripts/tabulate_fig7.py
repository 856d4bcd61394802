"""Snakemake adapter: rule tabulate_fig7."""

from metabayes import pipeline

pipeline.setup_logging(snakemake.log[0])
pipeline.tabulate_fig7(
    behaviour_paths=snakemake.input.behaviour,
    structure_paths=snakemake.input.structure,
    tasks=snakemake.params.tasks,
    csv_path=snakemake.output.table,
    tex_path=snakemake.output.latex,
)
