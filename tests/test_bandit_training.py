"""Bandit meta-training: finite, bitwise repeatable, consistent with the agent interface."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from metabayes.agents import RNNAgent
from metabayes.bandits.games import discounted_return, play
from metabayes.families import Categorical
from metabayes.stack import StackedMetaLearner
from metabayes.tasks.bandit import BANDIT_TASKS, action_uniforms
from metabayes.training.bandit import (
    BanditSettings,
    build_bandit_agent,
    play_batch,
    train_bandit_agent,
)
from metabayes.training.common import TrainingDiverged

from .conftest import assert_same_parameters

SETTINGS = BanditSettings(
    hidden_size=16,
    episode_length=6,
    batch_size=8,
    n_updates=5,
    learning_rate=3e-3,
    lr_schedule="cosine",
    entropy_cost=0.05,
    value_cost=0.5,
    grad_clip=1.0,
    n_checkpoints=3,
    log_every=5,
    init="torch",
    precision="float32",
)


@pytest.mark.parametrize("name", sorted(BANDIT_TASKS))
def test_few_steps_are_finite_and_bitwise_repeatable(name):
    task = BANDIT_TASKS[name]
    first, rows = train_bandit_agent(task, SETTINGS, seed=1)
    second, _ = train_bandit_agent(task, SETTINGS, seed=1)
    assert np.isfinite(rows[-1]["return"]) and np.isfinite(rows[-1]["batch_regret"])
    assert first.updates == [0, 1, 5]
    assert_same_parameters(first, second)
    assert not torch.equal(first.states[0]["readout.weight"], first.states[5]["readout.weight"])


def test_training_rollout_is_the_agent_interface_rollout():
    """play_batch (with graph, for training) and play(RNNAgent) take the same actions."""
    task = BANDIT_TASKS["gaussian_bandit_sigma_1"]
    net = build_bandit_agent(task, 16)
    episodes = task.sample(np.random.default_rng(0), 32, 7)
    uniforms = action_uniforms(np.random.default_rng(1), 32, 7)
    with torch.no_grad():
        game = play_batch(StackedMetaLearner([net]), [episodes], [uniforms])
    reference = play(RNNAgent(net, Categorical(2)), task, episodes, uniforms)
    np.testing.assert_array_equal(game.actions[0].numpy(), reference.actions)
    np.testing.assert_allclose(game.rewards[0].numpy(), reference.rewards, rtol=1e-6)
    np.testing.assert_allclose(game.log_probs[0].exp().numpy(), reference.probabilities, atol=1e-6)


def test_single_step_is_the_sequence_forward():
    """MetaLearner.step (written-out LSTM cell, used in play) matches nn.LSTM on sequences."""
    task = BANDIT_TASKS["bernoulli_bandit_beta_1_1"]
    net = build_bandit_agent(task, 16)
    inputs = torch.randn(5, 6, task.input_dim)
    readout, value, (h, c) = net(inputs)
    state = None
    for t in range(6):
        step_readout, step_value, state = net.step(inputs[:, t], state)
        torch.testing.assert_close(step_readout, readout[:, t])
        torch.testing.assert_close(step_value, value[:, t])
    torch.testing.assert_close(state, (h[0], c[0]))


def test_divergence_stops_with_task_seed_and_update():
    task = BANDIT_TASKS["gaussian_bandit_sigma_05"]
    diverging = replace(SETTINGS, learning_rate=1e30, grad_clip=1e30, n_updates=50)
    with pytest.raises(TrainingDiverged, match=r"gaussian_bandit_sigma_05, seed 2: .* update \d+"):
        train_bandit_agent(task, diverging, seed=2)


@pytest.mark.slow
def test_short_training_beats_the_random_policy():
    """600 updates of a small network: well above the uniform policy's exact value 4.392."""
    task = BANDIT_TASKS["bernoulli_bandit_beta_1_1"]
    settings = replace(
        SETTINGS,
        hidden_size=64,
        episode_length=20,
        batch_size=64,
        n_updates=600,
        n_checkpoints=2,
        log_every=600,
    )
    checkpoints, _ = train_bandit_agent(task, settings, seed=0)
    net = build_bandit_agent(task, 64)
    net.load_state_dict(checkpoints.states[600])
    episodes = task.sample(np.random.default_rng(2020), 4000, 20)
    game = play(
        RNNAgent(net, Categorical(2)),
        task,
        episodes,
        action_uniforms(np.random.default_rng(3), *episodes.rewards.shape[:2]),
    )
    assert discounted_return(game.rewards, task.gamma).mean() > 4.392 + 0.3
