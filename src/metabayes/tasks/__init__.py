"""The task registry: names used in ``config.yaml`` and in workflow wildcards → task objects.

Priors are this project's choices (SPEC §1), not the paper's, whose appendix is unavailable.
"""

from __future__ import annotations

from metabayes.conjugate import (
    BetaBernoulli,
    DirichletCategorical,
    GammaExponential,
    NormalGamma,
    NormalKnownVariance,
)
from metabayes.tasks.bandit import BANDIT_TASKS, BanditTask
from metabayes.tasks.prediction import Episodes, PredictionTask

PREDICTION_TASKS: dict[str, PredictionTask] = {
    task.name: task
    for task in [
        PredictionTask("bernoulli_beta_1_1", BetaBernoulli(1.0, 1.0)),
        PredictionTask("bernoulli_beta_05_05", BetaBernoulli(0.5, 0.5)),
        PredictionTask("bernoulli_beta_10_10", BetaBernoulli(10.0, 10.0)),
        PredictionTask("categorical_dir_1_1_1", DirichletCategorical((1.0, 1.0, 1.0))),
        PredictionTask("categorical_dir_05x5", DirichletCategorical((0.5,) * 5)),
        PredictionTask("exponential_gamma_1_1", GammaExponential(1.0, 1.0)),
        PredictionTask("exponential_gamma_5_5", GammaExponential(5.0, 5.0)),
        PredictionTask("gaussian_known_var", NormalKnownVariance(0.0, 1.0, 1.0)),
        PredictionTask("gaussian_normal_gamma_1", NormalGamma(0.0, 1.0, 2.0, 1.0)),
        PredictionTask("gaussian_normal_gamma_2", NormalGamma(0.0, 0.5, 5.0, 5.0)),
    ]
}

TASKS: dict[str, PredictionTask | BanditTask] = {**PREDICTION_TASKS, **BANDIT_TASKS}


def task_kind(name: str) -> str:
    """ "bandit" or "prediction": which half of the paper a registered task belongs to."""
    if name not in TASKS:
        raise KeyError(f"unknown task {name!r}")
    return TASKS[name].kind


__all__ = [
    "BANDIT_TASKS",
    "BanditTask",
    "Episodes",
    "PREDICTION_TASKS",
    "PredictionTask",
    "TASKS",
    "task_kind",
]
