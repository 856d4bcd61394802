"""Conjugate Bayesian models of the prediction tasks: prior, likelihood and posterior predictive.

Each model draws task parameters θ from its prior and i.i.d. observations given θ, defines the
sufficient statistic of one observation, and maps accumulated sufficient statistics to the
parameters of the exact posterior predictive distribution (Bernardo & Smith 1994, App. A;
Murphy 2007, "Conjugate Bayesian analysis of the Gaussian distribution").

Shapes: ``theta`` (n, theta_dim); observations (n, T) (integer outcomes for the categorical
model); statistics (..., stats_dim); predictive parameters (..., family.n_params).
Observations are *encoded* as vectors of size ``obs_dim`` (one-hot for categorical, the value
itself otherwise) and both agents consume that encoding.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from metabayes.families import Bernoulli, Categorical, Family, Lomax, Normal, StudentT


class ConjugateModel(ABC):
    """An exchangeable observation model with a conjugate prior."""

    family: Family
    stats_names: tuple[str, ...]
    theta_names: tuple[str, ...]
    obs_dim: int = 1

    @property
    def stats_dim(self) -> int:
        return len(self.stats_names)

    @abstractmethod
    def sample_theta(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw n task parameters from the prior, shape (n, theta_dim)."""

    @abstractmethod
    def sample_observations(
        self, rng: np.random.Generator, theta: np.ndarray, T: int
    ) -> np.ndarray:
        """Draw T i.i.d. observations per row of θ, shape (n, T)."""

    def encode(self, obs: np.ndarray) -> np.ndarray:
        """Observation values (...) → input encoding (..., obs_dim)."""
        return np.asarray(obs, dtype=np.float64)[..., None]

    @abstractmethod
    def statistic(self, encoded: np.ndarray) -> np.ndarray:
        """Sufficient statistic of one encoded observation: (..., obs_dim) → (..., stats_dim)."""

    @abstractmethod
    def predictive(self, stats: np.ndarray) -> np.ndarray:
        """Posterior predictive parameters given accumulated statistics (..., stats_dim)."""

    @abstractmethod
    def posterior_coordinates(self, stats: np.ndarray) -> np.ndarray:
        """The posterior's parameters, log-scaled where positive, of accumulated statistics.

        A bijection of the statistics (..., stats_dim) → (..., stats_dim), inverted by
        :meth:`statistics_from_posterior`; an equally valid Bayes state in other coordinates
        (names: ``posterior_names``). Positive parameters (concentrations, shapes, rates,
        precisions) are logged; a mean, which is unbounded, stays in natural units.
        """

    @abstractmethod
    def statistics_from_posterior(self, coordinates: np.ndarray) -> np.ndarray:
        """The inverse of :meth:`posterior_coordinates` (defined on all real coordinates)."""

    def valid_statistics(self, stats: np.ndarray) -> np.ndarray:
        """The nearest statistics some data could produce, per coordinate (..., stats_dim).

        Used on statistics reconstructed from an embedding (structural analysis), which may
        leave the domain. Here: counts and sums of non-negative values are clipped at 0.
        """
        return np.maximum(stats, 0.0)


@dataclass(frozen=True)
class BetaBernoulli(ConjugateModel):
    """θ ~ Beta(a, b), x ~ Bernoulli(θ). Predictive P(x = 1) = (a + n₁) / (a + b + n₁ + n₀)."""

    a: float
    b: float
    family = Bernoulli()
    stats_names = ("n_ones", "n_zeros")
    theta_names = ("p",)

    def sample_theta(self, rng, n):
        return rng.beta(self.a, self.b, size=(n, 1))

    def sample_observations(self, rng, theta, T):
        return (rng.random((len(theta), T)) < theta).astype(np.float64)

    def statistic(self, encoded):
        x = encoded[..., 0]
        return np.stack([x, 1 - x], axis=-1)

    def predictive(self, stats):
        ones, zeros = stats[..., 0], stats[..., 1]
        return ((self.a + ones) / (self.a + self.b + ones + zeros))[..., None]

    posterior_names = ("log_a", "log_b")

    def posterior_coordinates(self, stats):
        """log(a + n₁), log(b + n₀): the log posterior Beta parameters."""
        return np.log(np.array([self.a, self.b]) + stats)

    def statistics_from_posterior(self, coordinates):
        return np.exp(coordinates) - np.array([self.a, self.b])


@dataclass(frozen=True)
class DirichletCategorical(ConjugateModel):
    """θ ~ Dirichlet(α), x ~ Categorical(θ). Predictive P(x = k) = (α_k + n_k) / (Σα + n)."""

    alpha: tuple[float, ...]

    @property
    def family(self):
        return Categorical(len(self.alpha))

    @property
    def obs_dim(self):
        return len(self.alpha)

    @property
    def stats_names(self):
        return tuple(f"n{k}" for k in range(len(self.alpha)))

    @property
    def theta_names(self):
        return tuple(f"p{k}" for k in range(len(self.alpha)))

    def sample_theta(self, rng, n):
        return rng.dirichlet(self.alpha, size=n)

    def sample_observations(self, rng, theta, T):
        u = rng.random((len(theta), T, 1))
        cdf = np.cumsum(theta, axis=-1)[:, None, :]
        return np.minimum((u > cdf).sum(-1), len(self.alpha) - 1)

    def encode(self, obs):
        return np.eye(len(self.alpha))[np.asarray(obs, dtype=np.int64)]

    def statistic(self, encoded):
        return encoded

    def predictive(self, stats):
        alpha = np.asarray(self.alpha)
        return (alpha + stats) / (alpha.sum() + stats.sum(-1, keepdims=True))

    @property
    def posterior_names(self):
        return tuple(f"log_alpha{k}" for k in range(len(self.alpha)))

    def posterior_coordinates(self, stats):
        """log(α_k + n_k): the log posterior Dirichlet parameters."""
        return np.log(np.asarray(self.alpha) + stats)

    def statistics_from_posterior(self, coordinates):
        return np.exp(coordinates) - np.asarray(self.alpha)


@dataclass(frozen=True)
class GammaExponential(ConjugateModel):
    """λ ~ Gamma(shape α, rate β), x ~ Exponential(λ).

    Posterior Gamma(α + n, β + Σx); predictive Lomax(shape α + n, scale β + Σx).
    """

    shape: float
    rate: float
    family = Lomax()
    stats_names = ("n", "sum_x")
    theta_names = ("rate",)

    def sample_theta(self, rng, n):
        return rng.gamma(self.shape, 1 / self.rate, size=(n, 1))

    def sample_observations(self, rng, theta, T):
        return rng.exponential(size=(len(theta), T)) / theta

    def statistic(self, encoded):
        x = encoded[..., 0]
        return np.stack([np.ones_like(x), x], axis=-1)

    def predictive(self, stats):
        return np.stack([self.shape + stats[..., 0], self.rate + stats[..., 1]], axis=-1)

    posterior_names = ("log_shape", "log_rate")

    def posterior_coordinates(self, stats):
        """log(α + n), log(β + Σx): the log posterior Gamma parameters."""
        return np.log(np.array([self.shape, self.rate]) + stats)

    def statistics_from_posterior(self, coordinates):
        return np.exp(coordinates) - np.array([self.shape, self.rate])


@dataclass(frozen=True)
class NormalKnownVariance(ConjugateModel):
    """μ ~ Normal(μ₀, s₀²), x ~ Normal(μ, σ²) with σ known.

    Posterior precision 1/s₀² + n/σ², mean (μ₀/s₀² + Σx/σ²) / precision; predictive
    Normal(posterior mean, σ² + 1/precision).
    """

    mu0: float
    s0: float
    sigma: float
    family = Normal()
    stats_names = ("n", "sum_x")
    theta_names = ("mean",)

    def sample_theta(self, rng, n):
        return rng.normal(self.mu0, self.s0, size=(n, 1))

    def sample_observations(self, rng, theta, T):
        return theta + self.sigma * rng.standard_normal((len(theta), T))

    def statistic(self, encoded):
        x = encoded[..., 0]
        return np.stack([np.ones_like(x), x], axis=-1)

    def valid_statistics(self, stats):
        """n ≥ 0; Σx is unconstrained."""
        return np.stack([np.maximum(stats[..., 0], 0.0), stats[..., 1]], axis=-1)

    def predictive(self, stats):
        n, sum_x = stats[..., 0], stats[..., 1]
        precision = 1 / self.s0**2 + n / self.sigma**2
        mean = (self.mu0 / self.s0**2 + sum_x / self.sigma**2) / precision
        return np.stack([mean, np.sqrt(self.sigma**2 + 1 / precision)], axis=-1)

    posterior_names = ("log_precision", "mean")

    def posterior_coordinates(self, stats):
        """log of the posterior precision 1/s₀² + n/σ², and the posterior mean."""
        n, sum_x = stats[..., 0], stats[..., 1]
        precision = 1 / self.s0**2 + n / self.sigma**2
        mean = (self.mu0 / self.s0**2 + sum_x / self.sigma**2) / precision
        return np.stack([np.log(precision), mean], axis=-1)

    def statistics_from_posterior(self, coordinates):
        precision, mean = np.exp(coordinates[..., 0]), coordinates[..., 1]
        n = (precision - 1 / self.s0**2) * self.sigma**2
        sum_x = (mean * precision - self.mu0 / self.s0**2) * self.sigma**2
        return np.stack([n, sum_x], axis=-1)


@dataclass(frozen=True)
class NormalGamma(ConjugateModel):
    """(μ, τ) ~ NormalGamma(μ₀, κ₀, α₀, β₀): τ ~ Gamma(α₀, rate β₀), μ | τ ~ Normal(μ₀, 1/(κ₀τ));
    x ~ Normal(μ, 1/τ).

    Posterior κₙ = κ₀ + n, μₙ = (κ₀μ₀ + Σx)/κₙ, αₙ = α₀ + n/2,
    βₙ = β₀ + (Σx² + κ₀μ₀² − κₙμₙ²)/2; predictive Student-t with 2αₙ degrees of freedom,
    location μₙ and scale √(βₙ(κₙ + 1)/(αₙκₙ)) (Murphy 2007, eqs. 85–89, 100).
    """

    mu0: float
    kappa0: float
    alpha0: float
    beta0: float
    family = StudentT()
    stats_names = ("n", "sum_x", "sum_x2")
    theta_names = ("mean", "precision")

    def sample_theta(self, rng, n):
        precision = rng.gamma(self.alpha0, 1 / self.beta0, size=n)
        mean = rng.normal(self.mu0, 1 / np.sqrt(self.kappa0 * precision))
        return np.stack([mean, precision], axis=-1)

    def sample_observations(self, rng, theta, T):
        mean, precision = theta[:, :1], theta[:, 1:]
        return mean + rng.standard_normal((len(theta), T)) / np.sqrt(precision)

    def statistic(self, encoded):
        x = encoded[..., 0]
        return np.stack([np.ones_like(x), x, x**2], axis=-1)

    def valid_statistics(self, stats):
        """n ≥ 0 and Σx² ≥ κₙμₙ² − κ₀μ₀², i.e. βₙ ≥ β₀ (data make the quadratic term ≥ 0)."""
        n, sum_x = np.maximum(stats[..., 0], 0.0), stats[..., 1]
        kappa = self.kappa0 + n
        floor = (self.kappa0 * self.mu0 + sum_x) ** 2 / kappa - self.kappa0 * self.mu0**2
        return np.stack([n, sum_x, np.maximum(stats[..., 2], floor)], axis=-1)

    def predictive(self, stats):
        n, sum_x, sum_x2 = stats[..., 0], stats[..., 1], stats[..., 2]
        kappa = self.kappa0 + n
        mu = (self.kappa0 * self.mu0 + sum_x) / kappa
        alpha = self.alpha0 + n / 2
        beta = self.beta0 + 0.5 * (sum_x2 + self.kappa0 * self.mu0**2 - kappa * mu**2)
        scale = np.sqrt(beta * (kappa + 1) / (alpha * kappa))
        return np.stack([mu, scale, 2 * alpha], axis=-1)

    posterior_names = ("log_kappa", "mean", "log_beta")

    def posterior_coordinates(self, stats):
        """log κₙ, μₙ and log βₙ (αₙ = α₀ + n/2 is a function of κₙ, so three suffice)."""
        n, sum_x, sum_x2 = stats[..., 0], stats[..., 1], stats[..., 2]
        kappa = self.kappa0 + n
        mu = (self.kappa0 * self.mu0 + sum_x) / kappa
        beta = self.beta0 + 0.5 * (sum_x2 + self.kappa0 * self.mu0**2 - kappa * mu**2)
        return np.stack([np.log(kappa), mu, np.log(beta)], axis=-1)

    def statistics_from_posterior(self, coordinates):
        kappa, mu, beta = (
            np.exp(coordinates[..., 0]),
            coordinates[..., 1],
            np.exp(coordinates[..., 2]),
        )
        sum_x = mu * kappa - self.kappa0 * self.mu0
        sum_x2 = 2 * (beta - self.beta0) - self.kappa0 * self.mu0**2 + kappa * mu**2
        return np.stack([kappa - self.kappa0, sum_x, sum_x2], axis=-1)
