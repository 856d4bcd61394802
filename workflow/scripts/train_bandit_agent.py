"""Snakemake adapter: rule train_bandit_agent."""

from metabayes import pipeline

pipeline.setup_logging(snakemake.log[0])
pipeline.train(
    task=snakemake.wildcards.task,
    seeds=[int(snakemake.wildcards.seed)],
    settings=snakemake.params.settings,
    tables_path=snakemake.input.tables,
    checkpoints_paths=[snakemake.output.checkpoints],
    log_csv_paths=[snakemake.output.training_log],
    threads=snakemake.threads,
)
