"""Meta-training of the RNN on a prediction task: BPTT on whole episodes, log-loss, Adam."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial

import numpy as np
import torch

from metabayes.agents import BayesOptimalPredictor, rollout
from metabayes.rng import numpy_rng
from metabayes.rnn import MetaLearner
from metabayes.settings import PredictionSettings
from metabayes.stack import StackedMetaLearner
from metabayes.tasks import PredictionTask
from metabayes.tasks.prediction import Episodes
from metabayes.training.checkpoints import Checkpoints, checkpoint_schedule
from metabayes.training.common import (
    check_finite,
    format_duration,
    gradient_step,
    save_checkpoints,
    start_loop,
    train_in_stacks,
)
from metabayes.training.snapshots import SeedRecord, Snapshots, TrainingLoop

log = logging.getLogger(__name__)


def build_predictor(task: PredictionTask, hidden_size: int) -> MetaLearner:
    """The meta-learner for a task: its readout parametrises the task's predictive family."""
    return MetaLearner(task.input_dim, hidden_size, task.model.family.n_params)


def stacked_batches(batches: Sequence[Episodes]) -> tuple[torch.Tensor, torch.Tensor]:
    """One batch of episodes per seed as the stack's inputs and observations, (S, T, B, ·)."""
    return tuple(
        torch.as_tensor(np.stack([getattr(b, name).swapaxes(0, 1) for b in batches])).to(
            torch.float32
        )
        for name in ("inputs", "observations")
    )


def seed_log_losses(
    stack: StackedMetaLearner, task: PredictionTask, inputs, observations
) -> torch.Tensor:
    """Per seed, the mean over episodes of the log-loss summed over steps, −Σ_t log q(x_t): (S,)."""
    raw, _ = stack(inputs)
    return -task.model.family.log_prob(raw, observations).sum(dim=1).mean(dim=1)


def optimal_log_loss(task: PredictionTask, inputs: np.ndarray, observations: np.ndarray) -> float:
    """The Bayes-optimal predictor's log-loss on the same episodes (the floor of training)."""
    outputs, _ = rollout(BayesOptimalPredictor(task.model), inputs)
    return float(-task.model.family.logpdf(outputs, observations).sum(axis=1).mean())


def train_predictor(
    task: PredictionTask,
    settings: PredictionSettings,
    seed: int,
    snapshots: Snapshots | None = None,
) -> tuple[Checkpoints, list[dict]]:
    """Train one meta-learner; returns its checkpoints and training-log rows (see
    :func:`train_predictors`, of which this is the one-seed case)."""
    return train_predictors(task, settings, [seed], snapshots)[0]


def train_predictors(
    task: PredictionTask,
    settings: PredictionSettings,
    seeds: Sequence[int],
    snapshots: Snapshots | None = None,
) -> list[tuple[Checkpoints, list[dict]]]:
    """Train one meta-learner per seed; returns each one's checkpoints and training-log rows.

    The seeds are trained together as one stacked model (:mod:`metabayes.stack`), which
    is several times faster than one at a time for small networks. The batch of update k of
    seed s is drawn from the stream (s, "data", k) and its initial parameters from (s, "init"),
    so each seed's run is a function of (task, settings, seed) alone, bit for bit, whichever
    seeds share the job (:func:`metabayes.training.common.stack_groups`). With ``snapshots``,
    the loop's state is saved periodically and a snapshot of the same run is resumed from
    (the result is the same).

    Raises:
        TrainingDiverged: if a seed's loss is not finite, naming task, seed and update.
    """
    return train_in_stacks(
        seeds, settings.batch_size, lambda group: _train(task, settings, group, snapshots)
    )


def _train(task, settings: PredictionSettings, seeds: list[int], snapshots) -> TrainingLoop:
    loop = start_loop(
        task.name, settings, seeds, partial(build_predictor, task, settings.hidden_size), snapshots
    )
    schedule = set(checkpoint_schedule(settings.n_updates, settings.n_checkpoints))

    for update in range(loop.update + 1, settings.n_updates + 1):
        # Sample a fresh batch of episodes from the prior, per seed.
        batches = [
            task.sample(
                numpy_rng(seed, "data", update), settings.batch_size, settings.episode_length
            )
            for seed in seeds
        ]
        inputs, observations = stacked_batches(batches)

        # One Adam step per seed on its log-loss, through the whole episode (BPTT).
        losses = seed_log_losses(loop.net, task, inputs, observations)
        check_finite(losses, task.name, seeds, update, "prediction")
        gradient_step(loop.optimiser, losses, loop.net, settings.grad_clip)
        loop.scheduler.step()
        for record, loss in zip(loop.records, losses.tolist(), strict=True):
            record.window.append(loss)
        loop.update = update

        # Checkpoints, progress and snapshots.
        if update in schedule:
            save_checkpoints(loop)
        if update % settings.log_every == 0 or update == settings.n_updates:
            for record, batch in zip(loop.records, batches, strict=True):
                record.rows.append(_progress(task, batch, record, loop, settings))
                record.window = []
        if snapshots is not None and snapshots.due():
            snapshots.save(loop)
    return loop


def _progress(task, episodes, record: SeedRecord, loop: TrainingLoop, settings) -> dict:
    """One training-log row: mean loss since the last row; loss, Bayes-optimal loss and their
    difference (an estimate of eq. 2) on the last batch. The rate (updates of the whole stack
    per second) goes to the job's log only, so that two runs write the same table."""
    rate = loop.rate()
    optimal = optimal_log_loss(task, episodes.inputs, episodes.observations)
    row = {
        "update": loop.update,
        "loss": float(np.mean(record.window)),
        "batch_loss": record.window[-1],
        "batch_optimal_loss": optimal,
        "batch_excess_loss": record.window[-1] - optimal,
    }
    log.info(
        "%s seed %d update %d/%d loss %.4f, excess over Bayes-optimal on last batch %.4f, "
        "%.0f updates/s, ETA %s",
        task.name,
        record.checkpoints.seed,
        loop.update,
        settings.n_updates,
        row["loss"],
        row["batch_excess_loss"],
        rate,
        format_duration((settings.n_updates - loop.update) / rate),
    )
    return row
