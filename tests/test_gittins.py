"""Gittins indices: published values, a brute-force reference, properties and error bounds."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from scipy import optimize, stats

from metabayes.bandits.gittins import (
    bernoulli_gittins_table,
    bernoulli_horizon,
    bernoulli_index,
    gaussian_gittins_nu,
    gaussian_gittins_table,
    gaussian_index,
)

GAMMA = 0.9  # the bandit tasks' discount (SPEC §1)


@pytest.fixture(scope="module")
def table_11() -> np.ndarray:
    """ν(1 + s, 1 + f) at γ = 0.9 for s + f ≤ 20, the reachable states of a 20-step game."""
    return bernoulli_gittins_table(1.0, 1.0, GAMMA, 20)


def _reference_index(a: float, b: float, gamma: float, horizon: int) -> float:
    """Scalar bisection on λ with a plain recursion for V_λ on the Beta tree cut at ``horizon``.

    V(i, j) = max(λ/(1−γ), p + γ[p V(i+1, j) + (1−p) V(i, j+1)]), p = (a+i)/(a+b+i+j), and
    V = max(λ, p)/(1−γ) at depth i + j = horizon; ν is where pulling once and then acting
    optimally ties with retiring at the root.
    """

    def advantage(lam: float) -> float:
        @functools.cache
        def value(i: int, j: int) -> float:
            p = (a + i) / (a + b + i + j)
            if i + j == horizon:
                return max(lam, p) / (1 - gamma)
            pull = p + gamma * (p * value(i + 1, j) + (1 - p) * value(i, j + 1))
            return max(lam / (1 - gamma), pull)

        p = a / (a + b)
        return p + gamma * (p * value(1, 0) + (1 - p) * value(0, 1)) - lam / (1 - gamma)

    lo, hi = a / (a + b), 1.0
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if advantage(mid) > 0 else (lo, mid)
    return 0.5 * (lo + hi)


def _upper_differences(table: np.ndarray, axis: int) -> np.ndarray:
    """Differences of a triangular table along an axis, entries outside the triangle dropped."""
    d = np.diff(table, axis=axis)
    return d[np.isfinite(d)]


# ---------------------------------------------------------------------------------------------
# Bernoulli arms
# ---------------------------------------------------------------------------------------------


def test_bernoulli_published_values_gamma_09(table_11):
    # Normalised indices ν(a, b) at γ = 0.9 to the four digits published (Gittins, Glazebrook &
    # Weber 2011; ν(1, 1) = 0.7029 is quoted in SPEC §3, the others as tabulated in the test
    # suite of GittinsIndices.jl). Keys are (s, f) = (a − 1, b − 1).
    published = {
        (0, 0): 0.7029,
        (1, 0): 0.8001,
        (2, 0): 0.8452,
        (0, 1): 0.5001,
        (1, 1): 0.6346,
        (0, 2): 0.3796,
    }
    for (s, f), value in published.items():
        assert abs(table_11[s, f] - value) <= 5e-5, (s, f, table_11[s, f])


def test_bernoulli_published_value_gamma_099():
    # ν(1, 1) = 0.8699 at γ = 0.99 (Gittins, Glazebrook & Weber 2011; SPEC §3).
    assert abs(bernoulli_gittins_table(1.0, 1.0, 0.99, 0)[0, 0] - 0.8699) <= 5e-5


@pytest.mark.parametrize(
    "a0, b0, gamma", [(1.0, 1.0, 0.9), (2.0, 5.0, 0.9), (0.5, 0.5, 0.7), (3.0, 3.0, 0.95)]
)
def test_bernoulli_matches_bisection_reference(a0, b0, gamma):
    horizon = 25
    table = bernoulli_gittins_table(a0, b0, gamma, 2, horizon=horizon)
    for s, f in [(0, 0), (1, 0), (0, 2), (1, 1)]:
        reference = _reference_index(a0 + s, b0 + f, gamma, horizon)
        assert abs(table[s, f] - reference) <= 1e-9, (s, f, table[s, f] - reference)


def test_bernoulli_truncation_and_tolerance():
    deep = bernoulli_gittins_table(1.0, 1.0, GAMMA, 10, horizon=200)
    shallow = bernoulli_gittins_table(1.0, 1.0, GAMMA, 10, horizon=100)
    # The cut underestimates, and already at H = 100 the change is below 1e-9.
    assert np.nanmin(deep - shallow) >= -1e-12
    assert np.nanmax(deep - shallow) < 1e-9
    assert bernoulli_horizon(1.0, 1.0, GAMMA, 5e-10) == 188
    default = bernoulli_gittins_table(1.0, 1.0, GAMMA, 10)
    assert np.nanmax(np.abs(default - deep)) < 1e-9
    # Every fixed-point iterate is the ratio of an actual stopping rule: a coarse tolerance
    # can only stop short, from below, and within its bound.
    coarse = bernoulli_gittins_table(1.0, 1.0, GAMMA, 10, tol=1e-2)
    assert np.nanmin(default - coarse) >= -1e-12
    assert np.nanmax(default - coarse) <= 1e-2


def test_bernoulli_table_layout(table_11):
    assert table_11.shape == (21, 21)
    counts = np.add.outer(np.arange(21), np.arange(21))
    assert np.all(np.isfinite(table_11[counts <= 20]))
    assert np.all(np.isnan(table_11[counts > 20]))
    # The roots of a Beta(3, 3) table are the Beta(1, 1) table's states shifted by (2, 2).
    shifted = bernoulli_gittins_table(3.0, 3.0, GAMMA, 4, horizon=60)
    original = bernoulli_gittins_table(1.0, 1.0, GAMMA, 8, horizon=60)
    np.testing.assert_allclose(shifted[:5, :5], original[2:7, 2:7], rtol=0, atol=1e-12)


def test_bernoulli_properties(table_11):
    s, f = np.meshgrid(np.arange(21), np.arange(21), indexing="ij")
    mean = (1 + s) / (2 + s + f)
    ok = np.isfinite(table_11)
    # An exploration bonus: the index exceeds the posterior mean at every state.
    assert np.all(table_11[ok] > mean[ok])
    # Increasing in successes, decreasing in failures.
    assert np.all(_upper_differences(table_11, axis=0) > 0)
    assert np.all(_upper_differences(table_11, axis=1) < 0)
    # Mirror symmetry of the symmetric prior: reward r ↔ 1 − r gives
    # ν(a, b) + ν(b, a) = 1 + ν(a, b) − inf_τ(ratio) > 1.
    assert np.all((table_11 + table_11.T)[ok] > 1)
    # Same posterior mean 1/2, more data: a smaller bonus.
    assert np.all(np.diff(np.diag(table_11)[:11]) < 0)


def test_bernoulli_increasing_in_gamma():
    tables = [bernoulli_gittins_table(1.0, 1.0, g, 5) for g in (0.5, 0.7, 0.9, 0.95)]
    for lower, higher in zip(tables, tables[1:], strict=False):
        assert np.nanmin(higher - lower) > 0


def test_bernoulli_index_lookup(table_11):
    s = np.array([[0, 1], [2, 5]])
    f = np.array([[0, 0], [3, 15]])
    np.testing.assert_array_equal(bernoulli_index(table_11, s, f), table_11[s, f])
    assert bernoulli_index(table_11, 0, 0) == table_11[0, 0]
    with pytest.raises(IndexError):
        bernoulli_index(table_11, np.array([10]), np.array([11]))
    with pytest.raises(IndexError):
        bernoulli_index(table_11, -1, 0)


# ---------------------------------------------------------------------------------------------
# Gaussian arms
# ---------------------------------------------------------------------------------------------


def _psi(u):
    """E[(Z + u)⁺] = uΦ(u) + φ(u) for Z ~ N(0, 1)."""
    return u * stats.norm.cdf(u) + stats.norm.pdf(u)


def _one_step_lower_bound(n: float, gamma: float) -> float:
    """Index of the rule "pull once, then retire or pull for ever": (1−γ)λ = γ s ψ(−λ/s).

    s² = 1/(n(n+1)) is the variance of the next posterior mean; the rule is one stopping
    time among those in (1), so its break-even λ is a lower bound on ν(0, n).
    """
    s = 1 / np.sqrt(n * (n + 1))
    return optimize.brentq(lambda lam: (1 - gamma) * lam - gamma * s * _psi(-lam / s), 0, 50)


def _full_information_upper_bound(n: float, gamma: float) -> float:
    """Break-even λ when θ ~ N(0, 1/n) is revealed after one pull: (1−γ)λ = γ ψ(−λ√n)/√n.

    More information cannot hurt, so this bounds ν(0, n) from above (the "GI+" bound).
    """
    r = np.sqrt(n)
    return optimize.brentq(lambda lam: (1 - gamma) * lam - gamma * _psi(-lam * r) / r, 0, 500)


def test_gaussian_published_value():
    # Gittins, Glazebrook & Weber (2011), Table 8.1 lists n·√(1−γ)·ν(0, n); for γ = 0.8 and
    # n = 2 the entry 0.27584 (as quoted in the test suite of GittinsIndices.jl).
    nu = gaussian_gittins_nu(2.0, 0.8)
    assert abs(2 * np.sqrt(1 - 0.8) * nu - 0.27584) <= 5e-6


@pytest.mark.parametrize("gamma", [0.5, GAMMA])
def test_gaussian_between_one_step_and_full_information_bounds(gamma):
    n = np.array([0.25, 1.0, 5.0, 20.0])
    nu = gaussian_gittins_nu(n, gamma)
    lower = np.array([_one_step_lower_bound(x, gamma) for x in n])
    upper = np.array([_full_information_upper_bound(x, gamma) for x in n])
    assert np.all(lower < nu) and np.all(nu < upper)


def test_gaussian_monotone_in_n_and_gamma():
    n = 0.25 + np.arange(21)
    nus = [gaussian_gittins_nu(n, g) for g in (0.5, 0.8, GAMMA)]
    for nu in nus:
        assert np.all(nu > 0) and np.all(np.diff(nu) < 0)
    for lower, higher in zip(nus, nus[1:], strict=False):
        assert np.all(higher > lower)


def test_gaussian_limits_in_n():
    gamma = GAMMA
    # n → 0: the first pull reveals θ ~ N(0, 1/n), so √n·ν(0, n) → c with (1−γ)c = γψ(−c).
    c = optimize.brentq(lambda x: (1 - gamma) * x - gamma * _psi(-x), 0, 50)
    small = gaussian_gittins_nu(1e-4, gamma)
    assert abs(np.sqrt(1e-4) * small / c - 1) < 1e-3
    # n → ∞: the posterior mean moves like a random walk with steps of sd 1/n, so n·ν(0, n)
    # tends to that walk's index; it rises towards the limit in ever smaller steps.
    n = np.array([1e2, 1e3, 1e4, 1e5])
    scaled = n * gaussian_gittins_nu(n, gamma)
    steps = np.diff(scaled)
    assert np.all(steps > 0) and np.all(steps[1:] < steps[:-1] / 5)


def test_gaussian_grid_and_truncation_accuracy():
    n = np.array([1.0, 2.0, 20.0])
    default = gaussian_gittins_nu(n, GAMMA)
    fine = gaussian_gittins_nu(n, GAMMA, n_knots=192)
    assert np.max(np.abs(default - fine)) < 1e-8
    deep = gaussian_gittins_nu(n, GAMMA, horizon=400)
    assert np.max(np.abs(default - deep)) < 1e-9


def test_gaussian_chains_and_shapes():
    n = np.array([[1.0, 1.25], [2.0, 22.25]])
    together = gaussian_gittins_nu(n, GAMMA)
    alone = np.array([[gaussian_gittins_nu(x, GAMMA) for x in row] for row in n])
    assert together.shape == (2, 2)
    np.testing.assert_allclose(together, alone, rtol=0, atol=1e-9)
    table = gaussian_gittins_table(0.25, GAMMA, 20)
    np.testing.assert_allclose(table[[0, 2, 20]], gaussian_gittins_nu([0.25, 2.25, 20.25], GAMMA))


def test_gaussian_index_lookup():
    sigma, s0 = 0.5, 1.0
    table = gaussian_gittins_table(sigma**2 / s0**2, GAMMA, 20)
    mean = np.array([0.3, -1.0, 0.0])
    pulls = np.array([0, 4, 20])
    np.testing.assert_array_equal(
        gaussian_index(mean, pulls, sigma, table), mean + sigma * table[pulls]
    )
    with pytest.raises(IndexError):
        gaussian_index(0.0, 21, sigma, table)
