"""Agents playing two-armed bandit episodes on the episodes' shared reward tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from metabayes.tasks.bandit import BanditEpisodes, BanditTask, step_input

if TYPE_CHECKING:
    from metabayes.agents import Agent


@dataclass(frozen=True)
class Game:
    """What happened when an agent played a batch of episodes.

    Attributes:
        actions: arms pulled, shape (K, T), int64.
        rewards: rewards received, r[t, a_t] of the episode's table, shape (K, T).
        probabilities: the agent's action probabilities at each step, shape (K, T, 2).
        states: the agent's state at each step (after reading that step's input),
            shape (K, T, state_dim).
        inputs: the inputs it read, (one-hot a_{t−1}, r_{t−1}), shape (K, T, 3).
    """

    actions: np.ndarray
    rewards: np.ndarray
    probabilities: np.ndarray
    states: np.ndarray
    inputs: np.ndarray


def play(agent: Agent, task: BanditTask, episodes: BanditEpisodes, uniforms: np.ndarray) -> Game:
    """Let an agent play every episode for T steps on the episodes' reward tables.

    At step t the agent reads (a_{t−1}, r_{t−1}), emits probabilities π_t, and pulls
    a_t = 1 iff u_t < π_t(1), with the episode's uniform u_t: agents given the same uniforms
    (:func:`metabayes.tasks.bandit.action_uniforms`) and equal probabilities take equal
    actions. The reward is r[t, a_t].

    Args:
        agent: initial_state(n) and step(state, inputs (n, 3)) → (probabilities (n, 2), state).
        task: the bandit task the episodes come from.
        episodes: θ and reward tables (K, T, 2).
        uniforms: action uniforms, shape (K, T).
    """
    K, T, _ = episodes.rewards.shape
    state, inputs = agent.initial_state(K), np.zeros((K, task.input_dim))
    actions, probabilities, states = [], [], []
    for t in range(T):
        probs, state = agent.step(state, inputs)
        action = (uniforms[:, t] < probs[:, 1]).astype(np.int64)
        reward = episodes.rewards[np.arange(K), t, action]
        inputs = step_input(action, reward)
        actions.append(action)
        probabilities.append(probs)
        states.append(state)
    actions = np.stack(actions, axis=1)
    rewards = np.take_along_axis(episodes.rewards, actions[..., None], axis=2)[..., 0]
    inputs = task.inputs(actions, rewards)
    return Game(actions, rewards, np.stack(probabilities, axis=1), np.stack(states, axis=1), inputs)


def discounted_return(rewards: np.ndarray, gamma: float) -> np.ndarray:
    """Σ_t γ^t r[..., t] over the last axis (γ = 1: the plain sum)."""
    return rewards @ gamma ** np.arange(rewards.shape[-1])
