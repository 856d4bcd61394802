"""Snakemake adapter: rule train_bandit_agent."""

from metabayes import pipeline

pipeline.setup_logging(snakemake.log[0])
pipeline.train_bandit(
    task=snakemake.wildcards.task,
    seed=int(snakemake.wildcards.seed),
    settings=snakemake.params.settings,
    tables_path=snakemake.input.tables,
    checkpoints_path=snakemake.output.checkpoints,
    log_csv_path=snakemake.output.training_log,
    threads=snakemake.threads,
)
