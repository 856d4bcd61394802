"""Two-armed bandit tasks: arm priors, reward tables and the inputs both agents see.

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

from metabayes.conjugate import BetaBernoulli, ConjugateModel, NormalKnownVariance

N_ARMS = 2
INPUT_DIM = N_ARMS + 1


@dataclass(frozen=True)
class BetaPrior:
    """θ_a ~ Beta(a, b): success probability of a Bernoulli arm."""

    a: float
    b: float

    @property
    def mean(self) -> float:
        return self.a / (self.a + self.b)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.beta(self.a, self.b, size=n)


@dataclass(frozen=True)
class NormalPrior:
    """θ_a ~ Normal(mean, sd²): mean reward of a Gaussian arm."""

    mean: float
    sd: float

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.normal(self.mean, self.sd, size=n)


@dataclass(frozen=True)
class BernoulliRewards:
    """r ~ Bernoulli(θ_a), as 0.0 or 1.0."""

    def arm_model(self, prior: BetaPrior) -> BetaBernoulli:
        """One arm as a conjugate model: its statistics are (successes, failures)."""
        return BetaBernoulli(prior.a, prior.b)

    def sample(self, rng: np.random.Generator, theta: np.ndarray, T: int) -> np.ndarray:
        """Reward table (n, T, 2) for θ of shape (n, 2)."""
        return (rng.random((len(theta), T, theta.shape[1])) < theta[:, None]).astype(np.float64)


@dataclass(frozen=True)
class GaussianRewards:
    """r ~ Normal(θ_a, σ²) with σ known."""

    sigma: float

    def arm_model(self, prior: NormalPrior) -> NormalKnownVariance:
        """One arm as a conjugate model: its statistics are (pulls, reward sum)."""
        return NormalKnownVariance(prior.mean, prior.sd, self.sigma)

    def sample(self, rng: np.random.Generator, theta: np.ndarray, T: int) -> np.ndarray:
        """Reward table (n, T, 2) for θ of shape (n, 2)."""
        return theta[:, None] + self.sigma * rng.standard_normal((len(theta), T, theta.shape[1]))


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
    """A two-armed bandit: a prior per arm, a reward model and the discount γ."""

    name: str
    priors: tuple[BetaPrior, BetaPrior] | tuple[NormalPrior, NormalPrior]
    reward: BernoulliRewards | GaussianRewards
    gamma: float = 0.9

    kind = "bandit"
    input_dim = INPUT_DIM
    state_dim = 2 * N_ARMS

    @property
    def bernoulli(self) -> bool:
        return isinstance(self.reward, BernoulliRewards)

    @property
    def state_names(self) -> tuple[str, ...]:
        """Names of the Bayes state (sufficient statistics), arm by arm."""
        names = ("successes", "failures") if self.bernoulli else ("pulls", "reward_sum")
        return tuple(f"{name}_{arm}" for arm in range(N_ARMS) for name in names)

    @property
    def arm_models(self) -> tuple[ConjugateModel, ...]:
        """Each arm's reward model with its prior; the Bayes state is their statistics, arm by
        arm (:attr:`state_names`)."""
        return tuple(self.reward.arm_model(prior) for prior in self.priors)

    def sample(self, rng: np.random.Generator, n_episodes: int, T: int) -> BanditEpisodes:
        """Draw θ from the prior and the reward table r[t, a] of every episode."""
        theta = np.stack([prior.sample(rng, n_episodes) for prior in self.priors], axis=1)
        return BanditEpisodes(theta, self.reward.sample(rng, theta, T))

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
            (BetaPrior(1.0, 1.0), BetaPrior(1.0, 1.0)),
            BernoulliRewards(),
        ),
        BanditTask(
            "bernoulli_bandit_beta_1_1_vs_3_3",
            (BetaPrior(1.0, 1.0), BetaPrior(3.0, 3.0)),
            BernoulliRewards(),
        ),
        BanditTask(
            "gaussian_bandit_sigma_1",
            (NormalPrior(0.0, 1.0), NormalPrior(0.0, 1.0)),
            GaussianRewards(1.0),
        ),
        BanditTask(
            "gaussian_bandit_sigma_05",
            (NormalPrior(0.0, 1.0), NormalPrior(0.0, 1.0)),
            GaussianRewards(0.5),
        ),
    ]
}
