"""Arm families: what a two-armed bandit's arms pay, their priors, and all that depends on it.

An arm family is to the bandits what :class:`metabayes.conjugate.ConjugateModel` is to the
prediction tasks: one class per reward distribution, holding the prior of each arm, and every
computation that differs between distributions is a method of it: sampling, the Bayes state
(two statistics per arm) and its update after a pull, the Gittins indices, and the exact
finite-horizon dynamic programme (:mod:`metabayes.bandits.dp`). Agents, games, table files
and analyses call these methods and never ask which family they hold, so a new reward
distribution is one new class here.

The Bayes state of a game is the two arms' statistics laid out (arm 0, arm 1), shape (..., 4):
per arm (successes, failures) for Bernoulli arms and (pulls, reward sum) for Gaussian arms.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from metabayes.bandits import dp
from metabayes.bandits.gittins import (
    bernoulli_gittins_table,
    bernoulli_index,
    gaussian_gittins_table,
    gaussian_index,
)
from metabayes.bandits.policy import Policy
from metabayes.conjugate import BetaBernoulli, ConjugateModel, NormalKnownVariance

N_ARMS = 2


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


class ArmFamily(ABC):
    """The arms' reward distribution with one prior per arm.

    Attributes:
        priors: the prior of each arm's parameter θ_a.
        name: the family's name in the Gittins-table files.
        statistic_names: the two statistics of an arm, in their order in the Bayes state.
        table_accuracy: how accurate the family's Gittins tables are (stored in table files).
    """

    priors: tuple
    name: ClassVar[str]
    statistic_names: ClassVar[tuple[str, str]]
    table_accuracy: ClassVar[str]

    def sample_theta(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """θ of n episodes from the priors, shape (n, 2)."""
        return np.stack([prior.sample(rng, n) for prior in self.priors], axis=1)

    @abstractmethod
    def sample_rewards(self, rng: np.random.Generator, theta: np.ndarray, T: int) -> np.ndarray:
        """Reward table r[k, t, a], shape (n, T, 2), for θ of shape (n, 2)."""

    @abstractmethod
    def arm_model(self, prior) -> ConjugateModel:
        """One arm as a conjugate model whose statistics are the arm's (:attr:`statistic_names`)."""

    @property
    def arm_models(self) -> tuple[ConjugateModel, ...]:
        """Each arm's conjugate model with its prior."""
        return tuple(self.arm_model(prior) for prior in self.priors)

    @abstractmethod
    def pull_statistics(self, one_hot: np.ndarray, reward: np.ndarray) -> np.ndarray:
        """What a pull adds to the Bayes state: one-hot arms (n, 2), rewards (n, 1) → (n, 4)."""

    @abstractmethod
    def pulls(self, state: np.ndarray) -> np.ndarray:
        """Number of pulls of each arm, (..., 4) → (..., 2)."""

    @abstractmethod
    def valid_statistics(self, state: np.ndarray, max_count: int) -> np.ndarray:
        """The nearest reachable Bayes state to arbitrary real statistics (..., 4).

        Used on states reconstructed from an embedding (structural analysis), so that the
        Gittins tables can be read there; counts are rounded to whole numbers in
        [0, max_count].
        """

    @abstractmethod
    def gittins_tables(self, gamma: float, max_pulls: int) -> list[np.ndarray]:
        """The Gittins-index table of each arm, covering ``max_pulls`` pulls of it."""

    @abstractmethod
    def indices(self, tables: list[np.ndarray], state: np.ndarray) -> np.ndarray:
        """Gittins indices of both arms from their tables, (n, 4) → (n, 2)."""

    @abstractmethod
    def solve(
        self, horizon: int, gamma: float, policy: Policy | None = None, **grid: float
    ) -> dp.Solution:
        """The finite-horizon dynamic programme: the Bayes-optimal policy's Q-values and value
        if ``policy`` is None, else the given policy's value (:mod:`metabayes.bandits.dp`)."""


def arm_statistics(state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bayes state (..., 4) → the two statistics per arm, each (..., 2)."""
    return state[..., 0::2], state[..., 1::2]


@functools.cache
def _bernoulli_table(a0: float, b0: float, gamma: float, n_max: int) -> np.ndarray:
    table = bernoulli_gittins_table(a0, b0, gamma, n_max)
    table.flags.writeable = False
    return table


@functools.cache
def _gaussian_table(n0: float, gamma: float, max_pulls: int) -> np.ndarray:
    table = gaussian_gittins_table(n0, gamma, max_pulls)
    table.flags.writeable = False
    return table


@dataclass(frozen=True)
class BernoulliArms(ArmFamily):
    """r ~ Bernoulli(θ_a), as 0.0 or 1.0, with θ_a ~ Beta(a_a, b_a); state (successes,
    failures) per arm."""

    priors: tuple[BetaPrior, BetaPrior]

    name = "bernoulli"
    statistic_names = ("successes", "failures")
    table_accuracy = (
        "every entry within 1e-9 below the true index (Beta tree cut and iteration "
        "bounds, metabayes.bandits.gittins.bernoulli_gittins_table)"
    )

    def sample_rewards(self, rng, theta, T):
        return (rng.random((len(theta), T, theta.shape[1])) < theta[:, None]).astype(np.float64)

    def arm_model(self, prior: BetaPrior) -> BetaBernoulli:
        return BetaBernoulli(prior.a, prior.b)

    def pull_statistics(self, one_hot, reward):
        pull = np.stack([one_hot * reward, one_hot * (1 - reward)], axis=-1)
        return pull.reshape(len(one_hot), -1)

    def pulls(self, state):
        first, second = arm_statistics(state)
        return first + second

    def valid_statistics(self, state, max_count):
        return np.clip(np.rint(state), 0, max_count)

    def means(self, counts: np.ndarray) -> np.ndarray:
        """Posterior means (a_a + s)/(a_a + b_a + s + f) of the arms: (..., 4) → (..., 2)."""
        s, f = arm_statistics(counts)
        a = np.array([p.a for p in self.priors])
        b = np.array([p.b for p in self.priors])
        return (a + s) / (a + b + s + f)

    def gittins_tables(self, gamma, max_pulls):
        """G_a[s, f] = ν(a_a + s, b_a + f) for s + f ≤ max_pulls (NaN beyond), the normalised
        index at discount γ, accurate to 1e-9
        (:func:`metabayes.bandits.gittins.bernoulli_gittins_table`).

        Arms whose priors differ by whole numbers of successes and failures (Beta(1, 1) and
        Beta(3, 3)) are cut from one table, so equal posteriors get bitwise-equal indices.
        Tables are computed once per process and shared.
        """
        a0 = min(p.a for p in self.priors)
        b0 = min(p.b for p in self.priors)
        offsets = [(p.a - a0, p.b - b0) for p in self.priors]
        if not all(float(x).is_integer() for pair in offsets for x in pair):
            return [_bernoulli_table(p.a, p.b, gamma, max_pulls) for p in self.priors]
        n_max = max_pulls + int(max(sum(pair) for pair in offsets))
        shared = _bernoulli_table(a0, b0, gamma, n_max)
        counts = np.arange(max_pulls + 1)
        beyond = np.add.outer(counts, counts) > max_pulls
        tables = []
        for ds, df in ((int(ds), int(df)) for ds, df in offsets):
            table = shared[ds : ds + max_pulls + 1, df : df + max_pulls + 1].copy()
            table[beyond] = np.nan
            tables.append(table)
        return tables

    def indices(self, tables, state):
        """ν(a_a + s, b_a + f): the normalised index of arm a's Beta posterior."""
        successes, failures = arm_statistics(state.astype(np.int64))
        columns = [
            bernoulli_index(G, successes[:, a], failures[:, a]) for a, G in enumerate(tables)
        ]
        return np.stack(columns, axis=-1)

    def solve(self, horizon, gamma, policy=None):
        """Exact, over every belief state (:func:`metabayes.bandits.dp.bernoulli_backward`)."""
        return dp.BernoulliSolution(*dp.bernoulli_backward(self, horizon, gamma, policy))


@dataclass(frozen=True)
class GaussianArms(ArmFamily):
    """r ~ Normal(θ_a, σ²) with σ known and θ_a ~ Normal(μ0_a, s0_a²); state (pulls, reward
    sum) per arm."""

    priors: tuple[NormalPrior, NormalPrior]
    sigma: float

    name = "gaussian"
    statistic_names = ("pulls", "reward_sum")
    table_accuracy = (
        "truncation below 5e-10, posterior-mean grid error about 6e-9 at gamma 0.9 "
        "(96 knots; metabayes.bandits.gittins.gaussian_gittins_nu)"
    )

    def sample_rewards(self, rng, theta, T):
        return theta[:, None] + self.sigma * rng.standard_normal((len(theta), T, theta.shape[1]))

    def arm_model(self, prior: NormalPrior) -> NormalKnownVariance:
        return NormalKnownVariance(prior.mean, prior.sd, self.sigma)

    def pull_statistics(self, one_hot, reward):
        pull = np.stack([one_hot, one_hot * reward], axis=-1)
        return pull.reshape(len(one_hot), -1)

    def pulls(self, state):
        return arm_statistics(state)[0]

    def valid_statistics(self, state, max_count):
        """Pulls rounded to whole numbers in [0, max_count]; reward sums kept as they are."""
        valid = state.copy()
        valid[..., 0::2] = np.clip(np.rint(state), 0, max_count)[..., 0::2]
        return valid

    def prior_pseudo_counts(self) -> tuple[np.ndarray, np.ndarray]:
        """The priors as pseudo-observations n0_a = σ²/s0_a² with mean μ0_a, (2,) each."""
        n0 = np.array([self.sigma**2 / p.sd**2 for p in self.priors])
        return n0, np.array([p.mean for p in self.priors])

    def posterior(self, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Precision N = σ²/s0² + pulls (in units of 1/σ²) and mean of each arm's posterior.

        θ_a | data ~ Normal(m_a, σ²/N_a) with m_a = (n0_a μ0_a + Σr)/N_a, n0_a = σ²/s0_a².
        Shapes: state (..., 4) → N and m, each (..., 2).
        """
        pulls, total = arm_statistics(state)
        n0, mu0 = self.prior_pseudo_counts()
        precision = n0 + pulls
        return precision, (n0 * mu0 + total) / precision

    def gittins_tables(self, gamma, max_pulls):
        """ν(0, n0_a + k) for k = 0 … max_pulls pulls, n0_a = σ²/s0_a²
        (:func:`metabayes.bandits.gittins.gaussian_gittins_nu`); computed once per process."""
        n0, _ = self.prior_pseudo_counts()
        return [_gaussian_table(float(n), gamma, max_pulls) for n in n0]

    def indices(self, tables, state):
        """m_a + σ·ν(0, N_a) (:func:`metabayes.bandits.gittins.gaussian_index`)."""
        pulls = arm_statistics(state.astype(np.int64))[0]
        _, mean = self.posterior(state)
        columns = [
            gaussian_index(mean[:, a], pulls[:, a], self.sigma, G) for a, G in enumerate(tables)
        ]
        return np.stack(columns, axis=-1)

    def solve(self, horizon, gamma, policy=None, **grid):
        """On a grid of posterior-mean differences
        (:func:`metabayes.bandits.dp.gaussian_backward`; ``grid``: its ``n_knots``,
        ``width``, ``core``)."""
        backward = dp.gaussian_backward(self, horizon, gamma, policy=policy, **grid)
        return dp.GaussianSolution(self, gamma, backward)
