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
