"""Snakemake adapter: rule train_predictors."""

from metabayes import pipeline

pipeline.setup_logging(snakemake.log[0])
pipeline.train(
    task=snakemake.wildcards.task,
    seeds=snakemake.params.seeds,
    settings=snakemake.params.settings,
    tables_path=None,
    checkpoints_paths=snakemake.output.checkpoints,
    log_csv_paths=snakemake.output.training_logs,
    threads=snakemake.threads,
)
