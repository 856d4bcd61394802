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
from dataclasses import asdict, dataclass

import numpy as np
import torch

from metabayes.bandit_agents import GittinsAgent, discounted_return, play
from metabayes.rng import numpy_rng, seeded_torch
from metabayes.rnn import MetaLearner, initialise
from metabayes.tasks.bandit import N_ARMS, BanditEpisodes, BanditTask, action_uniforms
from metabayes.training.checkpoints import Checkpoints, checkpoint_schedule
from metabayes.training.common import (
    check_finite,
    format_duration,
    gradient_step,
    lr_scheduler,
)
from metabayes.training.snapshots import Snapshots, TrainingLoop
from metabayes.vtrace import vtrace_targets

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BanditSettings:
    """Settings of one bandit training run (the ``bandit`` block of the config)."""

    hidden_size: int
    episode_length: int
    batch_size: int
    n_updates: int
    learning_rate: float
    lr_schedule: str
    entropy_cost: float
    value_cost: float
    grad_clip: float
    n_checkpoints: int
    log_every: int
    init: str = "torch"  # parameter initialisation, metabayes.rnn.INITS


@dataclass
class BatchGame:
    """A batch of episodes played by the network, with the graph for the loss.

    Attributes:
        log_probs: log π(·|x_t), shape (B, T, 2), differentiable.
        values: V(x_t), shape (B, T), differentiable.
        actions: a_t, shape (B, T), int64.
        rewards: r_t = r[t, a_t], shape (B, T).
    """

    log_probs: torch.Tensor
    values: torch.Tensor
    actions: torch.Tensor
    rewards: torch.Tensor


def build_bandit_agent(task: BanditTask, hidden_size: int) -> MetaLearner:
    """The meta-learner of a bandit task: 2 action logits and a value head."""
    return MetaLearner(task.input_dim, hidden_size, N_ARMS, value_head=True)


def play_batch(net: MetaLearner, episodes: BanditEpisodes, uniforms: np.ndarray) -> BatchGame:
    """Play the episodes' reward tables with the network's policy, keeping the graph.

    Actions use one uniform per episode and step, arm 1 iff u < π(1|x_t), as
    :func:`metabayes.bandit_agents.play` does.

    Args:
        net: the meta-learner.
        episodes: reward tables r[t, a], shape (B, T, 2).
        uniforms: shape (B, T).
    """
    table = torch.as_tensor(episodes.rewards, dtype=torch.float32)
    u = torch.as_tensor(uniforms, dtype=torch.float32)
    B, T, _ = table.shape
    x, state = torch.zeros(B, N_ARMS + 1), None
    log_probs, values, actions, rewards = [], [], [], []
    for t in range(T):
        logits, value, state = net.step(x, state)
        log_p = torch.log_softmax(logits, dim=-1)
        action = (u[:, t] < log_p[:, 1].detach().exp()).long()
        reward = table[:, t].gather(1, action[:, None])[:, 0]
        x = torch.cat([torch.nn.functional.one_hot(action, N_ARMS).float(), reward[:, None]], -1)
        log_probs.append(log_p)
        values.append(value)
        actions.append(action)
        rewards.append(reward)
    return BatchGame(*(torch.stack(xs, dim=1) for xs in (log_probs, values, actions, rewards)))


def actor_critic_loss(
    game: BatchGame, gamma: float, entropy_cost: float, value_cost: float
) -> torch.Tensor:
    """Policy-gradient, value and entropy terms with V-trace targets, averaged over episodes."""
    discounts = torch.full_like(game.rewards, gamma)
    discounts[:, -1] = 0.0
    log_pi_a = game.log_probs.gather(-1, game.actions[..., None])[..., 0]
    targets = vtrace_targets(
        values_t=game.values.detach(),
        bootstrap_value=torch.zeros_like(game.values[:, 0]),
        rewards_t=game.rewards,
        discounts_t=discounts,
        log_rhos_t=torch.zeros_like(log_pi_a),  # on-policy: π = μ
    )
    policy = -(log_pi_a * targets.pg_advantages).sum(1)
    value = 0.5 * ((targets.vs - game.values) ** 2).sum(1)
    entropy = -(game.log_probs.exp() * game.log_probs).sum(-1).sum(1)
    return (policy + value_cost * value - entropy_cost * entropy).mean()


def train_bandit_agent(
    task: BanditTask,
    settings: BanditSettings,
    seed: int,
    gittins: GittinsAgent | None = None,
    snapshots: Snapshots | None = None,
) -> tuple[Checkpoints, list[dict]]:
    """Train one bandit meta-learner; returns its checkpoints and the training log rows.

    ``gittins`` (built from the task's table file in the workflow; computed if None) plays
    the last batch of every log interval, so the log reports the regret to Opt on it.

    The batch of update k (reward tables and action uniforms) is drawn from the streams
    (seed, "data", k) and (seed, "actions", k), so the run is a function of (task, settings,
    seed) alone. With ``snapshots``, the loop's state is saved periodically and a snapshot
    of the same run is resumed from (the result is the same).

    Raises:
        TrainingDiverged: if the loss is not finite, naming task, seed and update.
    """
    gittins = GittinsAgent(task) if gittins is None else gittins
    with seeded_torch(seed, "init"):
        net = initialise(build_bandit_agent(task, settings.hidden_size), settings.init)
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
        # Play a batch of fresh episodes with the current policy.
        shape = (settings.batch_size, settings.episode_length)
        episodes = task.sample(numpy_rng(seed, "data", update), *shape)
        uniforms = action_uniforms(numpy_rng(seed, "actions", update), *shape)
        game = play_batch(net, episodes, uniforms)

        # One Adam step on the actor-critic loss, entropy cost annealed linearly to 0.
        entropy_cost = settings.entropy_cost * (1 - (update - 1) / settings.n_updates)
        loss = actor_critic_loss(game, task.gamma, entropy_cost, settings.value_cost)
        check_finite(loss, task.name, seed, update, "bandit")
        gradient_step(optimiser, loss, net, settings.grad_clip)
        loop.scheduler.step()
        loop.window.append(float(discounted_return(game.rewards.numpy(), task.gamma).mean()))
        loop.update = update

        # Checkpoints, progress and snapshots.
        if update in schedule:
            loop.checkpoints.add(update, net)
        if update % settings.log_every == 0 or update == settings.n_updates:
            loop.rows.append(_progress(task, gittins, episodes, loop, settings))
            loop.window = []
        if snapshots is not None and snapshots.due():
            snapshots.save(loop)
    return loop.checkpoints, loop.rows


def _progress(task, gittins_agent, episodes, loop: TrainingLoop, settings) -> dict:
    """One training-log row: mean discounted return since the last row, and on the last batch
    the Gittins agent's return on the same reward tables (regret = their difference)."""
    rate = loop.rate()
    # The Gittins agent randomises only its 50/50 ties; any fixed stream will do.
    uniforms = action_uniforms(np.random.default_rng(loop.update), *episodes.rewards.shape[:2])
    gittins = play(gittins_agent, task, episodes, uniforms)
    optimal = float(discounted_return(gittins.rewards, task.gamma).mean())
    row = {
        "update": loop.update,
        "return": float(np.mean(loop.window)),
        "batch_return": loop.window[-1],
        "batch_gittins_return": optimal,
        "batch_regret": optimal - loop.window[-1],
        "elapsed_s": round(loop.elapsed(), 2),
        "updates_per_s": round(rate, 2),
    }
    log.info(
        "%s update %d/%d return %.3f, regret to Gittins on last batch %.3f, %.1f updates/s, ETA %s",
        task.name,
        loop.update,
        settings.n_updates,
        row["return"],
        row["batch_regret"],
        rate,
        format_duration((settings.n_updates - loop.update) / rate),
    )
    return row
