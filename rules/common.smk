# Helpers shared by the rules: task lists, settings passed through params, target lists.
# No rules here.

from metabayes import pipeline
from metabayes.tasks import BANDIT_TASKS, PREDICTION_TASKS

PREDICTION = [t for t in config["tasks"] if t in PREDICTION_TASKS]
BANDIT = [t for t in config["tasks"] if t in BANDIT_TASKS]
TASKS = PREDICTION + BANDIT
SEEDS = config["seeds"]
PREDICTION_SETTINGS = pipeline.prediction_settings(config)
BANDIT_SETTINGS = pipeline.bandit_settings(config)
EVALUATION_SETTINGS = pipeline.evaluation_settings(config)
CONVERGENCE_SETTINGS = pipeline.convergence_settings(config)
STRUCTURE_VARIANTS = pipeline.structure_variants(config)


wildcard_constraints:
    seed=r"\d+",


def alternation(names):
    """A regex matching exactly one of the names (for wildcard constraints)."""
    return "|".join(names) if names else "(?!)"


def per_seed(pattern, tasks):
    """Expand a path pattern over the given tasks and all configured seeds."""
    return expand(pattern, task=tasks, seed=SEEDS)


def seeds_of_task(pattern):
    """Input function: a path pattern expanded over the seeds of the job's task."""

    def inputs(wildcards):
        return expand(pattern, task=wildcards.task, seed=SEEDS)

    return inputs


FIG3_TASKS = ["categorical_dir_1_1_1", "bernoulli_bandit_beta_1_1"]
"""The tasks of Figure 3 (paper: one prediction, one bandit task), drawn for the first seed."""

FIG1_TASKS = FIG3_TASKS
"""Figure 1 shows the episodes that Figure 3 draws as lines (paper, Fig. 3 caption)."""

FIG2_TASKS = ["bernoulli_beta_1_1", "bernoulli_bandit_beta_1_1"]
"""The tasks of Figure 2 (paper Fig. 2a, 2b)."""


def structure_inputs(wildcards):
    """Input function: a run's trace and checkpoints, and for bandits its Gittins tables."""
    inputs = {
        "trace": f"results/traces/{wildcards.task}/seed{wildcards.seed}.h5",
        "checkpoints": f"results/models/{wildcards.task}/seed{wildcards.seed}/checkpoints.pt",
    }
    if wildcards.task in BANDIT:
        inputs["tables"] = f"results/gittins/{wildcards.task}.h5"
    return inputs


def structure_settings(wildcards):
    """Params function: the structural-comparison settings of the job's task."""
    return pipeline.structure_settings(config, wildcards.task)
