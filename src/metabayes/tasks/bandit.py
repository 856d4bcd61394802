"""Two-armed bandit tasks: their arms, reward tables and the inputs both agents see.

Each episode draws the arms' parameters θ = (θ_0, θ_1) from the prior and then a table of
rewards r[t, a] for every step t and arm a, once (common random numbers, SPEC §1): the t-th
pull of the game gets r[t, a] for the arm a pulled, so every agent evaluated on the episode
reads the same rewards. The agent's input at step t is (one-hot a_{t-1}, r_{t-1}), with zeros
at t = 1 [SPEC §1 choice]; rewards are discounted by γ = 0.9 within the episode [SPEC §1
choice]. Arrays are indexed [episode, step, arm] with step 0 holding t = 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from metabayes.bandits.arms import (
    N_ARMS,
    ArmFamily,
    BernoulliArms,
    BetaPrior,
    GaussianArms,
    NormalPrior,
)
from metabayes.conjugate import ConjugateModel

INPUT_DIM = N_ARMS + 1


@dataclass(frozen=True)
class BanditEpisodes:
    """A batch of sampled bandit episodes.

    Attributes:
        theta: arm parameters, shape (K, 2).
        rewards: pre-sampled reward table r[t, a], shape (K, T, 2).
    """

    theta: np.ndarray
    rewards: np.ndarray


@dataclass(frozen=True)
class BanditTask:
    """A two-armed bandit: its arms (reward distribution and priors) and the discount γ."""

    name: str
    arms: ArmFamily
    gamma: float = 0.9

    kind = "bandit"
    input_dim = INPUT_DIM
    state_dim = 2 * N_ARMS

    @property
    def priors(self) -> tuple:
        """The prior of each arm's parameter θ_a."""
        return self.arms.priors

    @property
    def state_names(self) -> tuple[str, ...]:
        """Names of the Bayes state (sufficient statistics), arm by arm."""
        names = self.arms.statistic_names
        return tuple(f"{name}_{arm}" for arm in range(N_ARMS) for name in names)

    @property
    def arm_models(self) -> tuple[ConjugateModel, ...]:
        """Each arm's reward model with its prior; the Bayes state is their statistics, arm by
        arm (:attr:`state_names`)."""
        return self.arms.arm_models

    def sample(self, rng: np.random.Generator, n_episodes: int, T: int) -> BanditEpisodes:
        """Draw θ from the prior and the reward table r[t, a] of every episode."""
        theta = self.arms.sample_theta(rng, n_episodes)
        return BanditEpisodes(theta, self.arms.sample_rewards(rng, theta, T))

    def inputs(self, actions: np.ndarray, rewards: np.ndarray) -> np.ndarray:
        """Actions and rewards (K, T) → inputs (K, T, 3): (one-hot a_{t-1}, r_{t-1}), 0 at t = 1."""
        inputs = np.zeros((*actions.shape, INPUT_DIM))
        inputs[:, 1:] = step_input(actions[:, :-1], rewards[:, :-1])
        return inputs


def action_uniforms(rng: np.random.Generator, n_episodes: int, T: int) -> np.ndarray:
    """Uniforms u[k, t] that decide the actions (arm 1 iff u < π(1)), shape (K, T)."""
    return rng.random((n_episodes, T))


def step_input(action: np.ndarray, reward: np.ndarray) -> np.ndarray:
    """The input after pulling ``action`` and receiving ``reward``: (...) → (..., 3)."""
    one_hot = np.eye(N_ARMS)[np.asarray(action, dtype=np.int64)]
    return np.concatenate([one_hot, np.asarray(reward, dtype=np.float64)[..., None]], axis=-1)


BANDIT_TASKS: dict[str, BanditTask] = {
    task.name: task
    for task in [
        BanditTask(
            "bernoulli_bandit_beta_1_1",
            BernoulliArms((BetaPrior(1.0, 1.0), BetaPrior(1.0, 1.0))),
        ),
        BanditTask(
            "bernoulli_bandit_beta_1_1_vs_3_3",
            BernoulliArms((BetaPrior(1.0, 1.0), BetaPrior(3.0, 3.0))),
        ),
        BanditTask(
            "gaussian_bandit_sigma_1",
            GaussianArms((NormalPrior(0.0, 1.0), NormalPrior(0.0, 1.0)), sigma=1.0),
        ),
        BanditTask(
            "gaussian_bandit_sigma_05",
            GaussianArms((NormalPrior(0.0, 1.0), NormalPrior(0.0, 1.0)), sigma=0.5),
        ),
    ]
}
