"""Meta-training of the RNN on a two-armed bandit: actor-critic with V-trace targets.

Each update plays a batch of fresh episodes with the current policy (synchronous, on-policy:
the importance weights are 1, but the targets go through the general V-trace of
:mod:`metabayes.vtrace`), then takes one Adam step on

    L = Σ_t [−log π(a_t|x_t) A_t + c_v ½ (v_t − V(x_t))² − β_k H(π(·|x_t))],

averaged over episodes, with the entropy cost β_k annealed linearly from β_0 to 0 over
training (SPEC §4) and the learning rate constant or cosine-annealed to 0. The discount γ
applies within the 20-step episode, which ends with a discount of 0 (no bootstrap).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import torch

from metabayes.bandits.agents import GittinsAgent
from metabayes.bandits.games import discounted_return, play
from metabayes.rng import numpy_rng
from metabayes.rnn import MetaLearner
from metabayes.settings import BanditSettings
from metabayes.stack import (
    DecoderReplay,
    LSTMReplay,
    LSTMTrace,
    StackedMetaLearner,
    StepDecoder,
    StepGates,
)
from metabayes.tasks.bandit import N_ARMS, BanditEpisodes, BanditTask, action_uniforms
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
from metabayes.vtrace import vtrace_targets

log = logging.getLogger(__name__)


@dataclass
class BatchGame:
    """Batches of episodes played by S stacked networks, with the graph for the loss.

    Attributes:
        log_probs: log π(·|x_t), shape (S, B, T, 2), differentiable.
        values: V(x_t), shape (S, B, T), differentiable.
        actions: a_t, shape (S, B, T), int64.
        rewards: r_t = r[t, a_t], shape (S, B, T).
    """

    log_probs: torch.Tensor
    values: torch.Tensor
    actions: torch.Tensor
    rewards: torch.Tensor


def build_bandit_agent(task: BanditTask, hidden_size: int) -> MetaLearner:
    """The meta-learner of a bandit task: 2 action logits and a value head."""
    return MetaLearner(task.input_dim, hidden_size, N_ARMS, value_head=True)


def play_batch(
    stack: StackedMetaLearner,
    episodes: Sequence[BanditEpisodes],
    uniforms: Sequence[np.ndarray],
    products: torch.dtype = torch.float32,
) -> BatchGame:
    """Play each seed's reward tables with its network's policy; differentiable afterwards.

    Actions use one uniform per episode and step, arm 1 iff u < π(1|x_t), as
    :func:`metabayes.bandits.games.play` does. The episodes are played step by step without
    autograd (each input depends on the previous action), keeping the LSTM's trace; the
    outputs are then recomputed from the traced hidden states with the graph, and the LSTM is
    differentiated through its trace (:class:`metabayes.stack.LSTMReplay`).

    Args:
        stack: the S networks.
        episodes: per seed, reward tables r[t, a], shape (B, T, 2).
        uniforms: per seed, shape (B, T).
        products: operand type of the LSTM's matrix products (:mod:`metabayes.stack`).
    """
    table = torch.as_tensor(np.stack([e.rewards for e in episodes]), dtype=torch.float32)
    u = torch.as_tensor(np.stack(uniforms), dtype=torch.float32)
    S, B, T, _ = table.shape
    N = stack.hidden_size
    inputs = torch.zeros(S, T, B, N_ARMS + 1)  # x_0 = 0; x_t = (one-hot a_{t−1}, r_{t−1})
    actions = torch.empty(S, T, B, dtype=torch.long)
    rewards = torch.empty(S, T, B)
    trace = LSTMTrace(S, T, B, N, products=products)
    w_ih, w_hh, b_ih, b_hh = stack.lstm_weights()
    w_dec, b_dec = stack.param("decoder.weight"), stack.param("decoder.bias")
    with torch.no_grad():
        gates_of = StepGates(w_ih, w_hh, b_ih + b_hh, products)
        decoder = StepDecoder(w_dec, b_dec, T, B, products)
        for t in range(T):
            gates = gates_of(stack.encode(inputs[:, t]), trace.h[t - 1] if t > 0 else None)
            logits = stack.linear("readout", decoder.step(trace.step(gates)))  # no value
            arm1 = torch.softmax(logits, dim=-1)[..., 1]
            torch.lt(u[:, :, t], arm1, out=actions[:, t])
            torch.gather(table[:, :, t], 2, actions[:, t, :, None], out=rewards[:, t, :, None])
            if t + 1 < T:
                inputs[:, t + 1].scatter_(2, actions[:, t, :, None], 1.0)
                inputs[:, t + 1, :, N_ARMS] = rewards[:, t]
    hidden = LSTMReplay.apply(stack.encode(inputs), w_ih, w_hh, b_ih, b_hh, trace)
    logits, values = stack.heads(DecoderReplay.apply(hidden, w_dec, b_dec, decoder))
    return BatchGame(
        log_probs=torch.log_softmax(logits, dim=-1).transpose(1, 2),
        values=values.transpose(1, 2),
        actions=actions.transpose(1, 2),
        rewards=rewards.transpose(1, 2),
    )


def actor_critic_loss(
    game: BatchGame, gamma: float, entropy_cost: float, value_cost: float
) -> torch.Tensor:
    """Policy-gradient, value and entropy terms with V-trace targets, averaged over episodes;
    one loss per leading index of the game's tensors (per seed)."""
    discounts = torch.full_like(game.rewards, gamma)
    discounts[..., -1] = 0.0
    log_pi_a = game.log_probs.gather(-1, game.actions[..., None])[..., 0]
    targets = vtrace_targets(
        values_t=game.values.detach(),
        bootstrap_value=torch.zeros_like(game.values[..., 0]),
        rewards_t=game.rewards,
        discounts_t=discounts,
        log_rhos_t=torch.zeros_like(log_pi_a),  # on-policy: π = μ
    )
    policy = -(log_pi_a * targets.pg_advantages).sum(-1)
    value = 0.5 * ((targets.vs - game.values) ** 2).sum(-1)
    entropy = -(game.log_probs.exp() * game.log_probs).sum(-1).sum(-1)
    return (policy + value_cost * value - entropy_cost * entropy).mean(-1)


def train_bandit_agent(
    task: BanditTask,
    settings: BanditSettings,
    seed: int,
    gittins: GittinsAgent | None = None,
    snapshots: Snapshots | None = None,
) -> tuple[Checkpoints, list[dict]]:
    """Train one bandit meta-learner; returns its checkpoints and training-log rows (see
    :func:`train_bandit_agents`, of which this is the one-seed case)."""
    return train_bandit_agents(task, settings, [seed], gittins, snapshots)[0]


def train_bandit_agents(
    task: BanditTask,
    settings: BanditSettings,
    seeds: Sequence[int],
    gittins: GittinsAgent | None = None,
    snapshots: Snapshots | None = None,
) -> list[tuple[Checkpoints, list[dict]]]:
    """Train one bandit meta-learner per seed; returns each one's checkpoints and log rows.

    ``gittins`` (built from the task's table file in the workflow; computed if None) plays
    the last batch of every log interval, so the log reports the regret to Opt on it.

    The batch of update k of seed s (reward tables and action uniforms) is drawn from the
    streams (s, "data", k) and (s, "actions", k), and its initial parameters from (s, "init"),
    so each seed's run is a function of (task, settings, seed) alone, whichever seeds share
    the job (they are stacked as in :func:`metabayes.training.prediction.train_predictors`).
    With ``snapshots``, the loop's state is saved periodically and a snapshot of the same run
    is resumed from (the result is the same).

    Raises:
        TrainingDiverged: if a seed's loss is not finite, naming task, seed and update.
    """
    gittins = GittinsAgent(task) if gittins is None else gittins
    return train_in_stacks(
        seeds, settings.batch_size, lambda group: _train(task, settings, group, gittins, snapshots)
    )


def _train(task, settings: BanditSettings, seeds: list[int], gittins, snapshots) -> TrainingLoop:
    loop = start_loop(
        task.name,
        settings,
        seeds,
        partial(build_bandit_agent, task, settings.hidden_size),
        snapshots,
    )
    schedule = set(checkpoint_schedule(settings.n_updates, settings.n_checkpoints))
    shape = (settings.batch_size, settings.episode_length)
    products = getattr(torch, settings.precision)

    for update in range(loop.update + 1, settings.n_updates + 1):
        # Play a batch of fresh episodes with the current policy, per seed.
        episodes = [task.sample(numpy_rng(seed, "data", update), *shape) for seed in seeds]
        uniforms = [action_uniforms(numpy_rng(seed, "actions", update), *shape) for seed in seeds]
        game = play_batch(loop.net, episodes, uniforms, products)

        # One Adam step on the actor-critic loss, entropy cost annealed linearly to 0.
        entropy_cost = settings.entropy_cost * (1 - (update - 1) / settings.n_updates)
        losses = actor_critic_loss(game, task.gamma, entropy_cost, settings.value_cost)
        check_finite(losses, task.name, seeds, update, "bandit")
        gradient_step(loop.optimiser, losses, loop.net, settings.grad_clip)
        loop.scheduler.step()
        returns = discounted_return(game.rewards.numpy(), task.gamma).mean(axis=-1)
        for record, value in zip(loop.records, returns.tolist(), strict=True):
            record.window.append(value)
        loop.update = update

        # Checkpoints, progress and snapshots.
        if update in schedule:
            save_checkpoints(loop)
        if update % settings.log_every == 0 or update == settings.n_updates:
            for record, batch in zip(loop.records, episodes, strict=True):
                record.rows.append(_progress(task, gittins, batch, record, loop, settings))
                record.window = []
        if snapshots is not None and snapshots.due():
            snapshots.save(loop)
    return loop


def _progress(task, gittins_agent, episodes, record: SeedRecord, loop: TrainingLoop, settings):
    """One training-log row: mean discounted return since the last row, and on the last batch
    the Gittins agent's return on the same reward tables (regret = their difference)."""
    rate = loop.rate()
    # The Gittins agent randomises only its 50/50 ties; any fixed stream will do.
    uniforms = action_uniforms(np.random.default_rng(loop.update), *episodes.rewards.shape[:2])
    gittins = play(gittins_agent, task, episodes, uniforms)
    optimal = float(discounted_return(gittins.rewards, task.gamma).mean())
    row = {
        "update": loop.update,
        "return": float(np.mean(record.window)),
        "batch_return": record.window[-1],
        "batch_gittins_return": optimal,
        "batch_regret": optimal - record.window[-1],
    }
    log.info(
        "%s seed %d update %d/%d return %.3f, regret to Gittins on last batch %.3f, "
        "%.1f updates/s, ETA %s",
        task.name,
        record.checkpoints.seed,
        loop.update,
        settings.n_updates,
        row["return"],
        row["batch_regret"],
        rate,
        format_duration((settings.n_updates - loop.update) / rate),
    )
    return row
