# Helpers shared by the rules: task lists, typed settings passed through params, the table of
# result paths, target lists. No rules here.

from types import SimpleNamespace

# The Snakefile imports only what loads without torch (metabayes.catalogue): every Snakemake
# start, and every SLURM job, pays for what is imported here.
from metabayes.catalogue import TASK_NAMES, uses_tables
from metabayes.settings import Settings

SETTINGS = Settings.from_config(config)
PREDICTION = [t for t in config["tasks"] if t in TASK_NAMES["prediction"]]
BANDIT = [t for t in config["tasks"] if t in TASK_NAMES["bandit"]]
TASKS = PREDICTION + BANDIT
SEEDS = config["seeds"]

# Where every result lives: rules name their inputs and outputs from here, and so do input
# functions and targets, so a path is typed once.
PATH = SimpleNamespace(
    tables="results/gittins/{task}.h5",
    checkpoints="results/models/{task}/seed{seed}/checkpoints.pt",
    training_log="results/models/{task}/seed{seed}/training_log.csv",
    trace="results/traces/{task}/seed{seed}.h5",
    behaviour_of_seed="results/behaviour/{task}/seed{seed}.csv",
    behaviour="results/behaviour/{task}.csv",
    structure_of_seed="results/structure/{task}/seed{seed}.csv",
    comparisons="results/structure/{task}/seed{seed}.h5",
    structure="results/structure/{task}.csv",
    robustness_of_seed="results/robustness/{task}/seed{seed}.csv",
    convergence="results/convergence/{task}.h5",
    convergence_table="results/convergence/{task}.csv",
    convergence_figure="results/convergence/{task}.pdf",
    fig3_of_task="results/fig3/{task}.pdf",
)


wildcard_constraints:
    seed=r"\d+",
    width=r"\d+",


def alternation(names):
    """A regex matching exactly one of the names (for wildcard constraints)."""
    return "|".join(names) if names else "(?!)"


def per_seed(pattern, tasks):
    """Expand a path pattern over the given tasks and all configured seeds."""
    return expand(pattern, task=tasks, seed=SEEDS)


def all_seeds(pattern):
    """An output pattern over every seed, the task left a wildcard (one job, all seeds)."""
    return expand(pattern, task="{task}", seed=SEEDS)


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
    """Input function: the traces and checkpoints of a task's runs, and its Gittins tables
    where its kind uses them (bandits)."""
    inputs = {
        "traces": seeds_of_task(PATH.trace)(wildcards),
        "checkpoints": seeds_of_task(PATH.checkpoints)(wildcards),
    }
    if uses_tables(wildcards.task):
        inputs["tables"] = PATH.tables.format(task=wildcards.task)
    return inputs


def structure_settings(wildcards):
    """Params function: the structural-comparison settings of the job's task's kind."""
    return SETTINGS.structure_of(wildcards.task)


# The width ablation (rules/ablation.smk).
ABLATION = SETTINGS.ablation
ABLATION_SEEDS = list(ABLATION.seeds)


def widened(pattern):
    """A result path of the main runs, for the runs at LSTM width {width}."""
    return pattern.replace("results/", "results/ablation/width{width}/", 1)


def is_main_run(task, width):
    """Whether a task's runs at a width are its main runs (same width, task and seeds)."""
    return (
        width == SETTINGS.main_width(task)
        and task in TASKS
        and set(ABLATION_SEEDS) <= set(SEEDS)
    )


def ablation_behaviour(task, width):
    """The behaviour table of a task's runs at a width: the main one, or the ablation's."""
    if is_main_run(task, width):
        return PATH.behaviour.format(task=task)
    return widened(PATH.behaviour).format(task=task, width=width)


def ablation_seeds_of(pattern):
    """Input function: a widened path pattern over the ablation's seeds of the job's task."""

    def inputs(wildcards):
        return expand(
            pattern, task=wildcards.task, width=wildcards.width, seed=ABLATION_SEEDS
        )

    return inputs


def ablation_outputs(pattern):
    """An output pattern over the ablation's seeds, task and width left wildcards."""
    return expand(pattern, task="{task}", width="{width}", seed=ABLATION_SEEDS)


def training_at_width(wildcards):
    """Params function: the task's training settings at the job's width."""
    return SETTINGS.training_of(wildcards.task, int(wildcards.width))


ABLATION_CELLS = [(t, w) for t in ABLATION.tasks for w in ABLATION.widths_of(t)]
"""Every (task, width) of the ablation, main widths included, in config order."""

ABLATION_TRAINED = sorted({t for t, w in ABLATION_CELLS if not is_main_run(t, w)})
"""The tasks with runs trained for the ablation."""
ABLATION_PREDICTION = [t for t in ABLATION_TRAINED if t in TASK_NAMES["prediction"]]
ABLATION_BANDIT = [t for t in ABLATION_TRAINED if t in TASK_NAMES["bandit"]]
