"""Predictive families: torch log-densities against scipy, and KL against closed forms,
adaptive quadrature and Monte Carlo."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import integrate

from metabayes import families
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


# --------------------------------------------------------------------------------------------
# Jensen–Shannon divergence (the convergence analysis, paper note 5)
# --------------------------------------------------------------------------------------------


def test_js_by_hand():
    # P = (1/2, 1/2), Q = (1, 0), M = (3/4, 1/4): ½·½ log(4/3) + ½ log(4/3) = ¾ log(4/3).
    value = Bernoulli().js(np.array([0.5]), np.array([0.0]))
    assert value == pytest.approx(0.75 * np.log(4 / 3), rel=1e-12)
    disjoint = Categorical(3).js(np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.5, 0.5]))
    assert disjoint == pytest.approx(np.log(2), rel=1e-12)
    # Two Normals 40 standard deviations apart barely overlap: JS is log 2 to ~1e-300.
    far = Normal().js(np.array([0.0, 1.0]), np.array([40.0, 1.0]))
    assert far == pytest.approx(np.log(2), rel=1e-9)


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_js_is_symmetric_bounded_and_zero_on_equal_distributions(family, rng):
    p, q = _params(family, rng, 64), _params(family, rng, 64)
    forward, backward = family.js(p, q), family.js(q, p)
    np.testing.assert_allclose(forward, backward, rtol=1e-9, atol=1e-12)
    assert np.all(forward > 0) and np.all(forward <= np.log(2) + 1e-12)
    np.testing.assert_allclose(family.js(p, p), 0.0, atol=1e-12)
    # One against many (the pairwise distances) agrees with the elementwise form.
    halves = family.mixture_kl(p, np.stack([q, p]))
    np.testing.assert_allclose(0.5 * (halves[0] + family.mixture_kl(q, p[None])[0]), forward)
    np.testing.assert_allclose(halves[1], 0.0, atol=1e-12)


@pytest.mark.parametrize("family", [Lomax(), Normal(), StudentT()], ids=lambda f: f.name)
def test_quadratures_do_not_depend_on_their_blocks(family, rng, monkeypatch):
    # Each row's quadrature is summed in an order of its own, so the cache blocks (rows at a
    # time) leave no trace: bitwise the same values with blocks of 3 rows, 7 and 200.
    p, qs = _params(family, rng, 200), np.stack([_params(family, rng, 200) for _ in range(3)])
    mixture, kl = family.mixture_kl(p, qs), family.kl(p, qs[0])
    for rows in (3, 7):
        monkeypatch.setattr(families, "_BLOCK", rows * len(families._JS_NODES.u))
        np.testing.assert_array_equal(family.mixture_kl(p, qs), mixture)
        monkeypatch.setattr(families, "_BLOCK", rows * len(families._NODES.u))
        np.testing.assert_array_equal(family.kl(p, qs[0]), kl)
    # and each row is the value of that pair alone
    for k, q in enumerate(qs):
        np.testing.assert_array_equal(family.mixture_kl(p[:1], q[None, :1])[0], mixture[k, :1])
    np.testing.assert_array_equal(family.kl(p[5], qs[0, 5]), kl[5])


JS_CASES = [
    (Normal(), [0.0, 1.0], [1.0, 2.0]),
    (Normal(), [0.35, 2.27], [0.33, 0.27]),  # scale ratio 8: a narrow bump in p's quantiles
    (Lomax(), [1.0, 1.0], [2.0, 0.5]),
    (Lomax(), [21.0, 30.0], [5.0, 3.0]),
    (StudentT(), [0.0, 1.0, 3.0], [0.5, 2.0, 10.0]),
    (StudentT(), [1.0, 0.3, 4.0], [0.0, 1.0, 1.5]),
]


@pytest.mark.parametrize("family,p,q", JS_CASES)
def test_numerical_js_matches_adaptive_quadrature(family, p, q):
    p, q = np.array(p), np.array(q)

    def integrand(x):
        log_p, log_q = family.logpdf(p, x), family.logpdf(q, x)
        log_m = np.logaddexp(log_p, log_q) - np.log(2)
        return 0.5 * (np.exp(log_p) * (log_p - log_m) + np.exp(log_q) * (log_q - log_m))

    # Integrate between the 1e-12 and 1 − 1e-10 quantiles of both (what lies outside changes
    # JS by < 1e-9), split at their medians.
    u = np.array([1e-12, 0.5, 1 - 1e-10])
    ends = np.concatenate([family._quantile(a[None], u, 1 - u)[0] for a in (p, q)])
    edges = np.unique(np.concatenate([[0.0] if family.name == "lomax" else [], ends]))
    reference = sum(
        integrate.quad(integrand, a, b, limit=500, epsabs=1e-14, epsrel=1e-12)[0]
        for a, b in zip(edges[:-1], edges[1:], strict=True)
    )
    # The 57-node rule is within 0.5 % even for the scale ratio of 8 (typically ~1e-4).
    assert family.js(p, q) == pytest.approx(reference, rel=5e-3, abs=1e-9)


def test_js_survives_quantiles_beyond_the_float_range():
    # A Lomax of shape 0.05 has quantiles above 1e308 at the outermost nodes.
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value = Lomax().js(np.array([0.05, 1.0]), np.array([2.0, 1.0]))
    assert 0 < value < np.log(2)


def test_student_t_logpdf_matches_scipy(rng):
    params = _params(StudentT(), rng, 200)
    x = rng.normal(0, 3, 200)
    from scipy import stats

    expected = stats.t.logpdf(x, params[:, 2], params[:, 0], params[:, 1])
    np.testing.assert_allclose(StudentT().logpdf(params, x), expected, rtol=1e-12)


def _params(family, rng, n):
    """Random parameters of a family, shape (n, n_params)."""
    if family.name == "bernoulli":
        return rng.uniform(0.01, 0.99, (n, 1))
    if family.name == "categorical":
        return rng.dirichlet(np.ones(family.n_outcomes), n)
    if family.name == "lomax":
        return np.exp(rng.normal([1.0, 0.0], 0.7, (n, 2)))
    if family.name == "normal":
        return np.column_stack([rng.normal(0, 1, n), np.exp(rng.normal(0, 0.7, n))])
    return np.column_stack(
        [rng.normal(0, 1, n), np.exp(rng.normal(0, 0.7, n)), np.exp(rng.normal(1, 0.7, n))]
    )
