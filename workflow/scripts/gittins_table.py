"""Snakemake adapter: rule gittins_table."""

from metabayes import pipeline

pipeline.setup_logging(snakemake.log[0])
pipeline.make_gittins_tables(
    task=snakemake.wildcards.task,
    episode_length=snakemake.params.episode_length,
    out_path=snakemake.output.tables,
)
