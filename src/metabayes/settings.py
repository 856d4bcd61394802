"""Typed settings, built once from a validated config (:func:`metabayes.config.load_config`).

``config.yaml`` is the one place where settings get their values (and their reasons, in its
comments); :meth:`Settings.from_config` turns a validated config into frozen dataclasses that
the workflow (``rules/common.smk``) and the CLI hand to the steps of
:mod:`metabayes.pipeline` alike. No dataclass here or in the modules it composes has defaults
of its own. Each part is documented beside its fields:

- training: :class:`metabayes.training.prediction.PredictionSettings` and
  :class:`metabayes.training.bandit.BanditSettings`, by task kind;
- ϕ and its training: :class:`metabayes.analysis.structure.EmbeddingSettings`;
- an analysis variant: :class:`metabayes.analysis.structure_runs.Variant`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from metabayes.analysis.structure import EmbeddingSettings
from metabayes.analysis.structure_runs import Variant
from metabayes.kinds import KINDS, kind_of
from metabayes.training.bandit import BanditSettings
from metabayes.training.prediction import PredictionSettings


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
        return self.widths[kind_of(task).name]


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
        settings = self.training[kind_of(task).name]
        return settings if width is None else replace(settings, hidden_size=width)

    def main_width(self, task: str) -> int:
        """The LSTM width of a task's main runs."""
        return self.training[kind_of(task).name].hidden_size

    def structure_of(self, task: str) -> StructureSettings:
        """The structural-comparison settings of a task (its kind's)."""
        return self.structure[kind_of(task).name]

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
            training={kind: _training(config, kind) for kind in KINDS},
            structure={
                kind: StructureSettings(tuple(block["split"]), _embedding(block, kind), main)
                for kind in KINDS
            },
            variants=tuple(variants),
            convergence=ConvergenceSettings(**config["convergence"]),
            threads={stage: config[stage]["threads"] for stage in (*KINDS, "structure")},
            ablation=_ablation(config),
        )


def _training(config: dict, kind: str) -> PredictionSettings | BanditSettings:
    """A kind's training settings: its config block (less ``threads``) and T."""
    settings_type = KINDS[kind].settings_type
    block = {f.name: config[kind][f.name] for f in fields(settings_type) if f.name in config[kind]}
    return settings_type(episode_length=config["episode_length"], **block)


def _ablation(config: dict) -> AblationSettings:
    """The ablation block, each kind's main width added to its widths."""
    block = config["ablation"]
    widths = {
        kind: tuple(sorted({*block["widths"][kind], config[kind]["hidden_size"]})) for kind in KINDS
    }
    return AblationSettings(
        tuple(block["tasks"]), tuple(block["seeds"]), widths, float(block["speed_factor"])
    )


def _embedding(block: dict, kind: str) -> EmbeddingSettings:
    """ϕ's settings for a kind of task: its width is the kind's entry of ``hidden_size``."""
    values = {f.name: block[f.name] for f in fields(EmbeddingSettings)}
    return EmbeddingSettings(**{**values, "hidden_size": values["hidden_size"][kind]})
