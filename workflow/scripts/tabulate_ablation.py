"""Snakemake adapter: rule tabulate_ablation."""

from metabayes import pipeline

pipeline.setup_logging(snakemake.log[0])
pipeline.tabulate_ablation(
    behaviour_paths=snakemake.input.behaviour,
    widths=snakemake.params.widths,
    seeds=snakemake.params.seeds,
    main_width=snakemake.params.main_width,
    speed_factor=snakemake.params.speed_factor,
    memory_path=snakemake.output.memory,
    speed_path=snakemake.output.speed,
)
