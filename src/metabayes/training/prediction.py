"""Meta-training of the RNN on a prediction task: BPTT on whole episodes, log-loss, Adam."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

import numpy as np
import torch

from metabayes.agents import BayesOptimalPredictor, rollout
from metabayes.rng import numpy_rng, seeded_torch
from metabayes.rnn import MetaLearner, initialise
from metabayes.tasks import PredictionTask
from metabayes.training.checkpoints import Checkpoints, checkpoint_schedule
from metabayes.training.common import (
    check_finite,
    format_duration,
    gradient_step,
    lr_scheduler,
)
from metabayes.training.snapshots import Snapshots, TrainingLoop

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PredictionSettings:
    """Settings of one prediction training run (the ``prediction`` block of the config)."""

    hidden_size: int
    episode_length: int
    batch_size: int
    n_updates: int
    learning_rate: float
    lr_schedule: str
    grad_clip: float
    n_checkpoints: int
    log_every: int
    init: str = "torch"  # parameter initialisation, metabayes.rnn.INITS


def build_predictor(task: PredictionTask, hidden_size: int) -> MetaLearner:
    """The meta-learner for a task: its readout parametrises the task's predictive family."""
    return MetaLearner(task.input_dim, hidden_size, task.model.family.n_params)


def episode_log_loss(net: MetaLearner, task: PredictionTask, inputs, observations) -> torch.Tensor:
    """Mean over episodes of the log-loss summed over steps, −Σ_t log q(x_t)."""
    raw, _, _ = net(inputs)
    return -task.model.family.log_prob(raw, observations).sum(dim=1).mean()


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
    """Train one meta-learner; returns its checkpoints and the training log rows.

    The batch of update k is drawn from the stream (seed, "data", k), so the run is a
    function of (task, settings, seed) alone. With ``snapshots``, the loop's state is saved
    periodically and a snapshot of the same run is resumed from (the result is the same).

    Raises:
        TrainingDiverged: if the loss is not finite, naming task, seed and update.
    """
    with seeded_torch(seed, "init"):
        net = initialise(build_predictor(task, settings.hidden_size), settings.init)
    optimiser = torch.optim.Adam(net.parameters(), lr=settings.learning_rate)
    loop = TrainingLoop(
        net=net,
        optimiser=optimiser,
        scheduler=lr_scheduler(optimiser, settings.lr_schedule, settings.n_updates),
        checkpoints=Checkpoints(task=task.name, seed=seed, settings=asdict(settings)),
    )
    loop.checkpoints.add(0, net)
    if snapshots is not None:
        snapshots.restore(loop)
    schedule = set(checkpoint_schedule(settings.n_updates, settings.n_checkpoints))

    for update in range(loop.update + 1, settings.n_updates + 1):
        # Sample a fresh batch of episodes from the prior.
        episodes = task.sample(
            numpy_rng(seed, "data", update), settings.batch_size, settings.episode_length
        )
        inputs = torch.as_tensor(episodes.inputs, dtype=torch.float32)
        observations = torch.as_tensor(episodes.observations, dtype=torch.float32)

        # One Adam step on the log-loss, through the whole episode (BPTT).
        loss = episode_log_loss(net, task, inputs, observations)
        check_finite(loss, task.name, seed, update, "prediction")
        gradient_step(optimiser, loss, net, settings.grad_clip)
        loop.scheduler.step()
        loop.window.append(loss.item())
        loop.update = update

        # Checkpoints, progress and snapshots.
        if update in schedule:
            loop.checkpoints.add(update, net)
        if update % settings.log_every == 0 or update == settings.n_updates:
            loop.rows.append(_progress(task, episodes, loop, settings))
            loop.window = []
        if snapshots is not None and snapshots.due():
            snapshots.save(loop)
    return loop.checkpoints, loop.rows


def _progress(task, episodes, loop: TrainingLoop, settings) -> dict:
    """One training-log row: mean loss since the last row; loss, Bayes-optimal loss and their
    difference (an estimate of eq. 2) on the last batch; rate."""
    rate = loop.rate()
    optimal = optimal_log_loss(task, episodes.inputs, episodes.observations)
    row = {
        "update": loop.update,
        "loss": float(np.mean(loop.window)),
        "batch_loss": loop.window[-1],
        "batch_optimal_loss": optimal,
        "batch_excess_loss": loop.window[-1] - optimal,
        "elapsed_s": round(loop.elapsed(), 2),
        "updates_per_s": round(rate, 1),
    }
    log.info(
        "%s update %d/%d loss %.4f, excess over Bayes-optimal on last batch %.4f, "
        "%.0f updates/s, ETA %s",
        task.name,
        loop.update,
        settings.n_updates,
        row["loss"],
        row["batch_excess_loss"],
        rate,
        format_duration((settings.n_updates - loop.update) / rate),
    )
    return row
