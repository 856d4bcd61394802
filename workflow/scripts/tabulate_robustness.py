"""Snakemake adapter: rule tabulate_robustness."""

from metabayes import pipeline

pipeline.setup_logging(snakemake.log[0])
pipeline.tabulate_robustness(
    behaviour_paths=snakemake.input.behaviour,
    variant_paths=snakemake.input.variants,
    csv_path=snakemake.output.table,
    markdown_path=snakemake.output.markdown,
)
