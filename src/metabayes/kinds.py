"""The kinds of task, prediction and bandit: what differs between them, in one registry.

The two halves of the paper run the same steps (train meta-learners, trace them beside the
Bayes-optimal agent, measure behaviour, compare structure, plot) on different machinery. Each
:class:`TaskKind` bundles that machinery: the network of a task, its training loop, its
trace, its behaviour table, its machines and output dissimilarity for the structural
comparison, and Figure 1's episodes. The workflow steps (:mod:`metabayes.pipeline`) and the
CLI look a task's kind up here (:func:`kind_of`) and never branch on it, so a third kind of
task is a new :class:`TaskKind` here plus its own modules.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import pandas as pd

from metabayes.analysis.behaviour import bandit_behaviour_table, behaviour_table
from metabayes.analysis.generalisation import (
    bandit_examples,
    extend_bandit,
    extend_prediction,
    prediction_examples,
)
from metabayes.analysis.structure_runs import (
    bandit_machines,
    expected_reward_dissimilarity,
    kl_dissimilarity,
    prediction_machines,
)
from metabayes.bandits.agents import GittinsAgent
from metabayes.bandits.index_tables import read_index_tables
from metabayes.catalogue import KINDS_WITH_TABLES
from metabayes.rnn import MetaLearner
from metabayes.simulate import (
    bandit_trace,
    evaluation_episodes,
    evaluation_uniforms,
    prediction_trace,
)
from metabayes.tasks import BANDIT_TASKS, PREDICTION_TASKS, TASKS
from metabayes.training import bandit as bandit_training
from metabayes.training import prediction as prediction_training
from metabayes.training.checkpoints import COMPARED

if TYPE_CHECKING:
    from metabayes.conjugate import ConjugateModel
    from metabayes.families import Family
    from metabayes.settings import EvaluationSettings
    from metabayes.traces import Trace
    from metabayes.training.checkpoints import Checkpoints
    from metabayes.training.snapshots import Snapshots

PathLike = str | os.PathLike
TrainedRun = tuple["Checkpoints", list[dict]]
"""A training run's checkpoints and its training-log rows."""


@dataclass(frozen=True)
class Behaviour:
    """A run's behaviour table (one row per checkpoint) and its headline column."""

    table: pd.DataFrame
    column: str  # the paper's measure: eq. 2 (prediction) or eq. 3 (bandits)
    name: str  # how the log names it


@dataclass(frozen=True)
class StructureParts:
    """What the structural comparison of one run needs from its kind."""

    machines: dict  # label → (Opt machine, RNN machine)
    dissimilarity: Callable  # output dissimilarity of D_o
    models: tuple[ConjugateModel, ...]  # conjugate models whose statistics are Opt's state


class TaskKind(ABC):
    """How the tasks of one kind are trained, traced and analysed.

    Attributes:
        name: the kind's name; also the config block of its training settings and the key
            of its ϕ width (``structure.hidden_size``).
        tasks: its registered tasks, by name.
        uses_tables: whether its steps read a Gittins-table file (``tables_path``); the
            kinds that do are named in :data:`metabayes.catalogue.KINDS_WITH_TABLES`.
    """

    name: ClassVar[str]
    tasks: ClassVar[Mapping]

    @property
    def uses_tables(self) -> bool:
        return self.name in KINDS_WITH_TABLES

    @abstractmethod
    def build_network(self, task, hidden_size: int) -> MetaLearner:
        """A fresh meta-learner for ``task`` with ``hidden_size`` LSTM units."""

    def network_builder(self, task, hidden_size: int) -> Callable[[], MetaLearner]:
        return partial(self.build_network, task, hidden_size)

    def checkpoint_builder(self, task, checkpoints: Checkpoints) -> Callable[[], MetaLearner]:
        """Fresh networks of the shape the checkpoints were trained with."""
        return self.network_builder(task, checkpoints.settings["hidden_size"])

    @abstractmethod
    def train(
        self,
        task,
        settings,
        seeds: Sequence[int],
        tables_path: PathLike | None,
        snapshots: Snapshots,
    ) -> list[TrainedRun]:
        """Train one meta-learner per seed; each seed's result depends on it alone."""

    @abstractmethod
    def trace(
        self,
        task,
        checkpoints: Checkpoints,
        evaluation: EvaluationSettings,
        tables_path: PathLike | None,
    ) -> tuple[Trace, dict]:
        """Every checkpoint and the Bayes-optimal agent on the evaluation episodes, and the
        kind's extra attributes of the trace file."""

    @abstractmethod
    def behaviour(self, task, trace: Trace) -> Behaviour:
        """The behavioural comparison (paper §3.2) per checkpoint of one trace."""

    @abstractmethod
    def structure(
        self, task, trace: Trace, networks: dict, tables_path: PathLike | None
    ) -> StructureParts:
        """Machines at the compared checkpoints (init and final), D_o's dissimilarity and
        Opt's conjugate models."""

    @abstractmethod
    def state_models(self, task) -> tuple[ConjugateModel, ...]:
        """The conjugate models whose sufficient statistics are Opt's state."""

    def convergence_family(self, task) -> Family | None:
        """The predictive family whose Jensen–Shannon divergence the convergence analysis
        uses, or None where it compares returns."""
        return None

    @abstractmethod
    def examples(
        self,
        task,
        final: MetaLearner,
        evaluation: EvaluationSettings,
        chosen: np.ndarray,
        steps: int,
        tables_path: PathLike | None,
    ) -> pd.DataFrame:
        """Figure 1's table: the final meta-learner and Opt on the chosen evaluation
        episodes, continued to ``steps`` steps."""


class PredictionKind(TaskKind):
    """Sequential prediction: eq. 2, the KL divergence between predictive distributions."""

    name = "prediction"
    tasks = PREDICTION_TASKS

    def build_network(self, task, hidden_size):
        return prediction_training.build_predictor(task, hidden_size)

    def train(self, task, settings, seeds, tables_path, snapshots):
        return prediction_training.train_predictors(task, settings, seeds, snapshots)

    def trace(self, task, checkpoints, evaluation, tables_path):
        episodes, _ = _evaluation(task, evaluation)
        build = self.checkpoint_builder(task, checkpoints)
        return prediction_trace(task, checkpoints, episodes, build), {}

    def behaviour(self, task, trace):
        return Behaviour(behaviour_table(trace, task.model.family), "kl_sum", "eq. 2")

    def structure(self, task, trace, networks, tables_path):
        machines = {
            label: prediction_machines(trace, label, networks[label], task) for label in COMPARED
        }
        return StructureParts(
            machines, kl_dissimilarity(task.model.family), self.state_models(task)
        )

    def state_models(self, task):
        return (task.model,)

    def convergence_family(self, task):
        return task.model.family

    def examples(self, task, final, evaluation, chosen, steps, tables_path):
        episodes, _ = _evaluation(task, evaluation)
        extended = extend_prediction(task, episodes, chosen, steps, evaluation.seed)
        return prediction_examples(task, final, extended, chosen)


class BanditKind(TaskKind):
    """Two-armed bandits: eq. 3, the gap in discounted return to the Gittins agent (Opt)."""

    name = "bandit"
    tasks = BANDIT_TASKS

    def build_network(self, task, hidden_size):
        return bandit_training.build_bandit_agent(task, hidden_size)

    def train(self, task, settings, seeds, tables_path, snapshots):
        gittins = self.gittins(task, tables_path)
        return bandit_training.train_bandit_agents(task, settings, seeds, gittins, snapshots)

    def trace(self, task, checkpoints, evaluation, tables_path):
        episodes, uniforms = _evaluation(task, evaluation)
        build = self.checkpoint_builder(task, checkpoints)
        trace = bandit_trace(
            task, checkpoints, episodes, uniforms, self.gittins(task, tables_path), build
        )
        return trace, {"gamma": task.gamma}

    def behaviour(self, task, trace):
        return Behaviour(bandit_behaviour_table(trace, task.gamma), "eq3", "eq. 3")

    def structure(self, task, trace, networks, tables_path):
        gittins = self.gittins(task, tables_path)
        machines = {
            label: bandit_machines(trace, label, networks[label], gittins) for label in COMPARED
        }
        return StructureParts(
            machines, expected_reward_dissimilarity(trace.theta), self.state_models(task)
        )

    def state_models(self, task):
        return task.arm_models

    def examples(self, task, final, evaluation, chosen, steps, tables_path):
        episodes, uniforms = _evaluation(task, evaluation)
        extended, uniforms = extend_bandit(task, episodes, uniforms, chosen, steps, evaluation.seed)
        gittins = self.gittins(task, tables_path)
        return bandit_examples(task, final, gittins, extended, uniforms, chosen)

    @staticmethod
    def gittins(task, tables_path: PathLike | None) -> GittinsAgent:
        """The Gittins agent on a table file, or on tables computed here if there is none."""
        tables = None if tables_path is None else read_index_tables(tables_path, task)
        return GittinsAgent(task, tables)


def _evaluation(task, evaluation: EvaluationSettings) -> tuple:
    """The fixed evaluation episodes of a task and the action uniforms shared by every agent
    (the uniforms are used by the bandits only)."""
    K, T, seed = evaluation.n_episodes, evaluation.episode_length, evaluation.seed
    return evaluation_episodes(task, K, T, seed), evaluation_uniforms(K, T, seed)


KINDS: dict[str, TaskKind] = {kind.name: kind for kind in (PredictionKind(), BanditKind())}
"""Every kind of task, by name (a task's ``kind`` attribute)."""


def kind_of(task: str) -> TaskKind:
    """The kind of a registered task, by the task's name."""
    if task not in TASKS:
        raise KeyError(f"unknown task {task!r}")
    return KINDS[TASKS[task].kind]
