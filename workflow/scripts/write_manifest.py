"""Snakemake adapter: rule manifest."""

from metabayes import pipeline

pipeline.setup_logging(snakemake.log[0])
pipeline.write_run_manifest("results", snakemake.output[0])
