"""Typed settings, built once from a validated config (:func:`metabayes.config.load_config`).

``config.yaml`` is the one place where settings get their values (and their reasons, in its
comments); :meth:`Settings.from_config` turns a validated config into frozen dataclasses that
the workflow (``rules/common.smk``) and the CLI hand to the steps of
:mod:`metabayes.pipeline` alike. No dataclass here has defaults of its own. Each part is
documented beside its fields: training by task kind (:class:`PredictionSettings`,
:class:`BanditSettings`), ϕ and its training (:class:`EmbeddingSettings`), an analysis
variant (:class:`Variant`), and the blocks below.

Like :mod:`metabayes.catalogue`, this module is loaded by every Snakemake start and imports
no torch or NumPy; the code that uses the settings imports them from here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields, replace

from metabayes.catalogue import OPT_COORDINATES, PHI_TARGETS, RNN_COMPONENTS, TASK_NAMES, kind_name


@dataclass(frozen=True)
class PredictionSettings:
    """Settings of one prediction training run (the ``prediction`` block of the config, and
    its ``episode_length``; values and reasons in ``config.yaml``)."""

    hidden_size: int  # N, LSTM units (SPEC §2)
    episode_length: int  # T, steps per episode
    batch_size: int  # episodes per update
    n_updates: int  # Adam updates
    learning_rate: float  # Adam step size
    lr_schedule: str  # constant or cosine (annealed to 0 at the last update)
    grad_clip: float  # maximum global gradient norm
    n_checkpoints: int  # saved checkpoints, init and final included, log-spaced
    log_every: int  # updates between rows of the training log
    init: str  # parameter initialisation, metabayes.catalogue.INITS


@dataclass(frozen=True)
class BanditSettings:
    """Settings of one bandit training run (the ``bandit`` block of the config, and its
    ``episode_length``; values and reasons in ``config.yaml``)."""

    hidden_size: int  # N, LSTM units (SPEC §2)
    episode_length: int  # T, steps per episode
    batch_size: int  # episodes per update
    n_updates: int  # Adam updates
    learning_rate: float  # Adam step size
    lr_schedule: str  # constant or cosine (annealed to 0 at the last update)
    entropy_cost: float  # entropy bonus weight at the first update, annealed linearly to 0
    value_cost: float  # weight of the value loss
    grad_clip: float  # maximum global gradient norm
    n_checkpoints: int  # saved checkpoints, init and final included, log-spaced
    log_every: int  # updates between rows of the training log
    init: str  # parameter initialisation, metabayes.catalogue.INITS
    precision: str  # operands of the LSTM's and decoder's products, catalogue.PRECISIONS


TRAINING_SETTINGS = {"prediction": PredictionSettings, "bandit": BanditSettings}
"""The training settings of each kind of task, built from the config block of its name."""


@dataclass(frozen=True)
class EmbeddingSettings:
    """The MLP ϕ and its training (config block ``structure``; values in ``config.yaml``)."""

    hidden_size: int  # units of each hidden layer (SPEC §6: 64 prediction, 256 bandits)
    n_layers: int  # hidden layers (SPEC §6: 3)
    learning_rate: float  # Adam step size
    batch_size: int  # states per update
    max_epochs: int  # passes over the training states at most
    patience: int  # epochs without a better validation error before stopping


def split_sizes(n_episodes: int, fractions: Sequence[float]) -> tuple[int, int, int]:
    """Episodes in each part (train, validation, test) of
    :func:`metabayes.analysis.structure.split_episodes`."""
    n_train = round(fractions[0] * n_episodes)
    n_validation = round(fractions[1] * n_episodes)
    return n_train, n_validation, n_episodes - n_train - n_validation


@dataclass(frozen=True)
class Variant:
    """The analysis choices of the structural comparison that the paper leaves open.

    Attributes:
        opt_coordinates: Opt's state as raw sufficient statistics or log-scale posterior
            parameters (:mod:`metabayes.analysis.coordinates`).
        rnn_components: principal components of the RNN state kept: ``n`` (the Bayes state
            dimension, paper §4.3), a multiple such as ``4n``, or ``all``: the full (c, h)
            standardised per unit (whitening all 2N components would blow float32 noise up
            to unit variance).
        phi_target: in Opt → RNN, ϕ lands in the whitened ``projection`` (the RNN's output
            read at its reconstruction) or in the full ``state`` (c, h), standardised per unit.
    """

    opt_coordinates: str
    rnn_components: str
    phi_target: str

    def __post_init__(self):
        if self.opt_coordinates not in OPT_COORDINATES:
            raise ValueError(f"unknown opt_coordinates {self.opt_coordinates!r}")
        if not re.match(RNN_COMPONENTS, self.rnn_components):
            raise ValueError(f"rnn_components {self.rnn_components!r} is not n, kn or all")
        if self.phi_target not in PHI_TARGETS:
            raise ValueError(f"unknown phi_target {self.phi_target!r}")

    def components(self, n: int, state_dim: int) -> int:
        """m, the RNN components kept for a Bayes state of dimension n (at most state_dim)."""
        if self.rnn_components == "all":
            return state_dim
        return min(int(self.rnn_components[:-1] or 1) * n, state_dim)

    @property
    def full_state(self) -> bool:
        """The RNN side is its full state (standardised per unit), not principal components."""
        return self.rnn_components == "all"

    def fit_key(self, direction: str, m: int) -> tuple:
        """What ϕ in ``direction`` depends on besides the run: equal keys, equal fits."""
        if direction == "opt_to_rnn" and (self.phi_target == "state" or self.full_state):
            return direction, self.opt_coordinates, "state"
        return direction, self.opt_coordinates, "state" if self.full_state else m

    def describe(self) -> str:
        rnn = "full RNN state" if self.full_state else f"{self.rnn_components} RNN PCs"
        target = "full state" if self.phi_target == "state" or self.full_state else "projection"
        return f"{self.opt_coordinates}, {rnn}, Opt→RNN ϕ into {target}"


@dataclass(frozen=True)
class EvaluationSettings:
    """The evaluation episodes of every run (config block ``evaluation``)."""

    n_episodes: int  # K, evaluation episodes per (task, seed) (paper Fig. 4 caption)
    seed: int  # seed of the evaluation episodes, shared by all agents and training seeds
    episode_length: int  # T, steps per episode (paper §3.1; config key episode_length)


@dataclass(frozen=True)
class StructureSettings:
    """The structural comparison of one kind of task (config block ``structure``): the
    split of the evaluation episodes, ϕ and its training, and the main analysis variant."""

    split: tuple[float, float, float]  # fractions of episodes: fit ϕ, stop early, score
    embedding: EmbeddingSettings  # ϕ's width is the kind's entry of structure.hidden_size
    variant: Variant  # the main analysis: opt_coordinates, rnn_components, phi_target

    def as_dict(self) -> dict:
        """One flat mapping, as the config spells it: what results record and hash."""
        return {"split": list(self.split), **asdict(self.embedding), **asdict(self.variant)}


@dataclass(frozen=True)
class ConvergenceSettings:
    """The convergence analysis (config block ``convergence``)."""

    n_episodes: int  # evaluation episodes the pairwise distances average over
    max_iter: int  # SMACOF iterations of the MDS at most


@dataclass(frozen=True)
class AblationSettings:
    """The memory-size experiments of App. D.3 and D.7 (config block ``ablation``).

    ``widths`` holds, per task kind, every LSTM width of the comparison in increasing order,
    the kind's main width (its training ``hidden_size``) included.
    """

    tasks: tuple[str, ...]  # tasks trained at every width (empty: no ablation)
    seeds: tuple[int, ...]  # training seeds of every width
    widths: dict[str, tuple[int, ...]]  # per kind: the widths, main one included
    speed_factor: float  # convergence speed: first checkpoint within this factor of final

    def widths_of(self, task: str) -> tuple[int, ...]:
        """The widths a task is trained at (its kind's)."""
        return self.widths[kind_name(task)]


@dataclass(frozen=True)
class Settings:
    """Everything a validated config sets, typed.

    Attributes:
        tasks: the tasks to run, in config order.
        seeds: the training seeds.
        evaluation: the evaluation episodes.
        training: per task kind (``prediction``, ``bandit``), its training settings.
        structure: per task kind, its structural-comparison settings.
        variants: the robustness stage's analysis variants, the main one first, no repeats.
        convergence: the convergence analysis.
        threads: torch threads per job, per stage (``prediction``, ``bandit``, ``structure``).
        ablation: the memory-size experiments.
    """

    tasks: tuple[str, ...]
    seeds: tuple[int, ...]
    evaluation: EvaluationSettings
    training: dict[str, PredictionSettings | BanditSettings]
    structure: dict[str, StructureSettings]
    variants: tuple[Variant, ...]
    convergence: ConvergenceSettings
    threads: dict[str, int]
    ablation: AblationSettings

    def training_of(
        self, task: str, width: int | None = None
    ) -> PredictionSettings | BanditSettings:
        """A task's training settings (its kind's), at LSTM width ``width`` if given."""
        settings = self.training[kind_name(task)]
        return settings if width is None else replace(settings, hidden_size=width)

    def main_width(self, task: str) -> int:
        """The LSTM width of a task's main runs."""
        return self.training[kind_name(task)].hidden_size

    def structure_of(self, task: str) -> StructureSettings:
        """The structural-comparison settings of a task (its kind's)."""
        return self.structure[kind_name(task)]

    @property
    def split(self) -> tuple[float, float, float]:
        """The split of the evaluation episodes (``structure.split``; the same for every kind)."""
        return next(iter(self.structure.values())).split

    @classmethod
    def from_config(cls, config: dict) -> Settings:
        """The settings of a config that :func:`metabayes.config.validate_config` accepted."""
        T = config["episode_length"]
        block = config["structure"]
        main = Variant(**{f.name: block[f.name] for f in fields(Variant)})
        variants = [main]
        for override in block["variants"]:
            variant = Variant(**{**asdict(main), **override})
            if variant not in variants:
                variants.append(variant)
        return cls(
            tasks=tuple(config["tasks"]),
            seeds=tuple(config["seeds"]),
            evaluation=EvaluationSettings(
                config["evaluation"]["n_episodes"], config["evaluation"]["seed"], T
            ),
            training={kind: _training(config, kind) for kind in TASK_NAMES},
            structure={
                kind: StructureSettings(tuple(block["split"]), _embedding(block, kind), main)
                for kind in TASK_NAMES
            },
            variants=tuple(variants),
            convergence=ConvergenceSettings(**config["convergence"]),
            threads={stage: config[stage]["threads"] for stage in (*TASK_NAMES, "structure")},
            ablation=_ablation(config),
        )


def _training(config: dict, kind: str) -> PredictionSettings | BanditSettings:
    """A kind's training settings: its config block (less ``threads``) and T."""
    settings_type = TRAINING_SETTINGS[kind]
    block = {f.name: config[kind][f.name] for f in fields(settings_type) if f.name in config[kind]}
    return settings_type(episode_length=config["episode_length"], **block)


def _ablation(config: dict) -> AblationSettings:
    """The ablation block, each kind's main width added to its widths."""
    block = config["ablation"]
    widths = {
        kind: tuple(sorted({*block["widths"][kind], config[kind]["hidden_size"]}))
        for kind in TASK_NAMES
    }
    return AblationSettings(
        tuple(block["tasks"]), tuple(block["seeds"]), widths, float(block["speed_factor"])
    )


def _embedding(block: dict, kind: str) -> EmbeddingSettings:
    """ϕ's settings for a kind of task: its width is the kind's entry of ``hidden_size``."""
    values = {f.name: block[f.name] for f in fields(EmbeddingSettings)}
    return EmbeddingSettings(**{**values, "hidden_size": values["hidden_size"][kind]})
