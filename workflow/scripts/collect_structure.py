"""Snakemake adapter: rule collect_structure."""

from metabayes import pipeline

pipeline.setup_logging(snakemake.log[0])
pipeline.collect_tables(snakemake.input.tables, snakemake.output.table)
