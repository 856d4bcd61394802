"""Snakemake adapter: rule write_claims."""

from metabayes import pipeline

pipeline.setup_logging(snakemake.log[0])
pipeline.write_claims(
    behaviour_paths=snakemake.input.behaviour,
    structure_paths=snakemake.input.structure,
    convergence_paths=snakemake.input.convergence,
    claims_path=snakemake.output.claims,
    memory_path=snakemake.input.get("memory") or None,
)
