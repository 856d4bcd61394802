"""Conjugate updates and posterior predictives against hand-computed values and properties."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate

from metabayes.agents import BayesOptimalPredictor, rollout
from metabayes.conjugate import (
    BetaBernoulli,
    DirichletCategorical,
    GammaExponential,
    NormalGamma,
    NormalKnownVariance,
)
from metabayes.tasks import PREDICTION_TASKS


def test_beta_bernoulli_by_hand():
    model = BetaBernoulli(1.0, 1.0)
    # Observations 1, 1, 0: Laplace's rule of succession gives (1 + 2) / (2 + 3) = 0.6.
    stats = sum(model.statistic(np.array([[x]]))[0] for x in (1.0, 1.0, 0.0))
    np.testing.assert_array_equal(stats, [2, 1])
    np.testing.assert_allclose(model.predictive(stats), [0.6])
    np.testing.assert_allclose(BetaBernoulli(0.5, 0.5).predictive(np.array([0.0, 3.0])), [0.5 / 4])


def test_dirichlet_categorical_by_hand():
    model = DirichletCategorical((1.0, 1.0, 1.0))
    stats = model.statistic(model.encode(np.array([2, 0, 2]))).sum(axis=0)
    np.testing.assert_array_equal(stats, [1, 0, 2])
    np.testing.assert_allclose(model.predictive(stats), [2 / 6, 1 / 6, 3 / 6])


def test_gamma_exponential_by_hand():
    model = GammaExponential(shape=5.0, rate=5.0)
    stats = model.statistic(model.encode(np.array([0.5, 1.5]))).sum(axis=0)
    np.testing.assert_allclose(stats, [2, 2.0])
    # Posterior Gamma(7, 7): predictive Lomax(shape 7, scale 7).
    np.testing.assert_allclose(model.predictive(stats), [7.0, 7.0])


def test_normal_known_variance_by_hand():
    model = NormalKnownVariance(mu0=0.0, s0=1.0, sigma=1.0)
    # Two observations summing to 3: precision 3, mean 1, predictive variance 1 + 1/3.
    np.testing.assert_allclose(model.predictive(np.array([2.0, 3.0])), [1.0, np.sqrt(4 / 3)])


def test_normal_gamma_by_hand():
    model = NormalGamma(mu0=0.0, kappa0=1.0, alpha0=2.0, beta0=1.0)
    x = np.array([1.0, 3.0])
    stats = model.statistic(model.encode(x)).sum(axis=0)
    np.testing.assert_allclose(stats, [2, 4, 10])
    # κ = 3, μ = 4/3, α = 3, β = 1 + (Σ(x − x̄)² + κ0·n·x̄²/κ)/2 = 1 + (2 + 8/3)/2 = 10/3.
    kappa, mu, alpha, beta = 3.0, 4 / 3, 3.0, 10 / 3
    expected = [mu, np.sqrt(beta * (kappa + 1) / (alpha * kappa)), 2 * alpha]
    np.testing.assert_allclose(model.predictive(stats), expected)


@pytest.mark.parametrize("name", sorted(PREDICTION_TASKS))
def test_predictive_densities_normalise(name, rng):
    task = PREDICTION_TASKS[name]
    family, model = task.model.family, task.model
    episodes = task.sample(rng, 3, 8)
    outputs, _ = rollout(BayesOptimalPredictor(model), episodes.inputs)
    for params in outputs.reshape(-1, family.n_params)[::4]:
        if family.name in ("bernoulli", "categorical"):
            support = np.arange(len(params) if family.name == "categorical" else 2)
            total = np.exp(family.logpdf(params, support)).sum()
        else:
            lower = 0.0 if family.name == "lomax" else -np.inf
            total, _ = integrate.quad(
                lambda x, p=params: np.exp(family.logpdf(p, x)), lower, np.inf
            )
        assert total == pytest.approx(1.0, abs=1e-7)


@pytest.mark.parametrize("name", sorted(PREDICTION_TASKS))
def test_optimal_state_is_the_running_sufficient_statistic(name, rng):
    task = PREDICTION_TASKS[name]
    episodes = task.sample(rng, 4, 6)
    _, states = rollout(BayesOptimalPredictor(task.model), episodes.inputs)
    per_obs = task.model.statistic(task.model.encode(episodes.observations))
    # After reading input t (which carries x_{t-1}) the state holds x_1 … x_{t-1}.
    expected = np.concatenate([np.zeros_like(per_obs[:, :1]), np.cumsum(per_obs, 1)[:, :-1]], 1)
    np.testing.assert_allclose(states, expected)


@pytest.mark.parametrize("name", sorted(PREDICTION_TASKS))
def test_bayes_optimal_has_lowest_expected_log_loss(name):
    """On data from the prior, perturbing the optimal predictive only increases log-loss."""
    task = PREDICTION_TASKS[name]
    family = task.model.family
    episodes = task.sample(np.random.default_rng(7), 20000, 10)
    outputs, _ = rollout(BayesOptimalPredictor(task.model), episodes.inputs)

    def log_loss(params):
        return -family.logpdf(params, episodes.observations).sum(axis=1).mean()

    best = log_loss(outputs)
    perturb_rng = np.random.default_rng(8)
    for scale in (0.05, 0.2):
        noise = np.exp(scale * perturb_rng.standard_normal(outputs.shape))
        perturbed = outputs * noise
        if family.name == "categorical":
            perturbed /= perturbed.sum(-1, keepdims=True)
        if family.name == "bernoulli":
            perturbed = np.clip(perturbed, 1e-6, 1 - 1e-6)
        assert log_loss(perturbed) > best
