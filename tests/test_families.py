"""Predictive families: torch log-densities against scipy, and KL against closed forms,
adaptive quadrature and Monte Carlo."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import integrate

from metabayes.families import Bernoulli, Categorical, Lomax, Normal, StudentT

FAMILIES = [Bernoulli(), Categorical(4), Lomax(), Normal(), StudentT()]


def _sample(family, params, rng, n):
    """Draws from a family, for Monte Carlo checks."""
    if family.name == "lomax":
        return params[1] * (rng.pareto(params[0], n))
    if family.name == "student_t":
        return params[0] + params[1] * rng.standard_t(params[2], n)
    if family.name == "normal":
        return rng.normal(params[0], params[1], n)
    raise ValueError(family.name)


def _observations(family, rng, shape):
    if family.name == "bernoulli":
        return rng.integers(0, 2, shape).astype(float)
    if family.name == "categorical":
        return rng.integers(0, family.n_outcomes, shape)
    if family.name == "lomax":
        return rng.exponential(2.0, shape)
    return rng.normal(0.0, 2.0, shape)


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_torch_log_prob_matches_scipy(family, rng):
    raw = torch.as_tensor(rng.normal(0, 1, (50, family.n_params)), dtype=torch.float64)
    x = _observations(family, rng, 50)
    torch_lp = family.log_prob(raw, torch.as_tensor(x)).numpy()
    scipy_lp = family.logpdf(family.params(raw).numpy(), x)
    np.testing.assert_allclose(torch_lp, scipy_lp, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_kl_of_equal_distributions_is_zero_and_positive_otherwise(family, rng):
    raw = torch.as_tensor(rng.normal(0, 1, (20, family.n_params)))
    p = family.params(raw).numpy()
    q = family.params(raw + 0.3 * torch.as_tensor(rng.normal(0, 1, raw.shape))).numpy()
    np.testing.assert_allclose(family.kl(p, p), 0.0, atol=1e-12)
    assert np.all(family.kl(p, q) > 0)


def test_bernoulli_and_categorical_kl_by_hand():
    expected = 0.5 * np.log(0.5 / 0.25) + 0.5 * np.log(0.5 / 0.75)
    assert Bernoulli().kl(np.array([0.5]), np.array([0.25])) == pytest.approx(expected)
    p, q = np.array([0.5, 0.5, 0.0]), np.array([0.25, 0.25, 0.5])
    assert Categorical(3).kl(p, q) == pytest.approx(np.log(2))


def test_normal_kl_closed_form_by_hand():
    # KL(N(0, 1) ‖ N(1, 2²)) = log 2 + (1 + 1)/8 − 1/2.
    value = Normal().kl(np.array([0.0, 1.0]), np.array([1.0, 2.0]))
    assert value == pytest.approx(np.log(2) + 2 / 8 - 0.5)


@pytest.mark.parametrize("shapes", [(3.0, 1.5), (1.0, 20.0), (21.0, 2.0)])
def test_lomax_kl_equal_scales_closed_form(shapes):
    """With equal scales, log(1 + X/λ) ~ Exponential(α₁) under p, so
    KL = log(α₁/α₂) + α₂/α₁ − 1."""
    a1, a2 = shapes
    value = Lomax().kl(np.array([a1, 2.5]), np.array([a2, 2.5]))
    assert value == pytest.approx(np.log(a1 / a2) + a2 / a1 - 1, abs=1e-9)


def test_student_t_kl_tends_to_normal_kl_for_large_dof():
    value = StudentT().kl(np.array([0.0, 1.0, 1e7]), np.array([1.0, 2.0, 1e7]))
    expected = Normal().kl(np.array([0.0, 1.0]), np.array([1.0, 2.0]))
    assert value == pytest.approx(expected, rel=1e-5)


QUADRATURE_CASES = [
    (Lomax(), [1.0, 1.0], [2.0, 0.5]),
    (Lomax(), [21.0, 30.0], [5.0, 3.0]),
    (Lomax(), [1.0, 1.0], [0.2, 5.0]),
    (Lomax(), [6.0, 5.2], [5.9, 5.3]),
    (StudentT(), [0.0, 1.0, 3.0], [0.5, 2.0, 10.0]),
    (StudentT(), [1.0, 0.3, 4.0], [0.0, 1.0, 0.5]),
    (StudentT(), [0.2, 1.1, 24.0], [0.21, 1.09, 23.0]),
]


@pytest.mark.parametrize("family,p,q", QUADRATURE_CASES)
def test_numerical_kl_matches_adaptive_quadrature(family, p, q):
    p, q = np.array(p), np.array(q)
    lower = 0.0 if family.name == "lomax" else -np.inf

    def integrand(x):
        return np.exp(family.logpdf(p, x)) * (family.logpdf(p, x) - family.logpdf(q, x))

    reference, error = integrate.quad(integrand, lower, np.inf, limit=500, epsabs=1e-13)
    assert error < 1e-8
    assert family.kl(p, q) == pytest.approx(reference, abs=1e-8, rel=1e-6)


@pytest.mark.parametrize("family,p,q", QUADRATURE_CASES[:3] + QUADRATURE_CASES[4:6])
def test_numerical_kl_matches_monte_carlo(family, p, q):
    p, q = np.array(p), np.array(q)
    x = _sample(family, p, np.random.default_rng(0), 400_000)
    log_ratio = family.logpdf(p, x) - family.logpdf(q, x)
    standard_error = log_ratio.std() / np.sqrt(len(x))
    assert abs(family.kl(p, q) - log_ratio.mean()) < 5 * standard_error


def test_numerical_kl_is_vectorised_over_leading_axes(rng):
    p = np.stack([rng.uniform(1, 10, (3, 4)), rng.uniform(0.5, 5, (3, 4))], axis=-1)
    q = p * 1.1
    batched = Lomax().kl(p, q)
    assert batched.shape == (3, 4)
    assert batched[2, 1] == pytest.approx(Lomax().kl(p[2, 1], q[2, 1]))
