"""Bayes-optimal and reference agents for the two-armed bandits, games, and exact values.

Every agent has the interface of :mod:`metabayes.agents`: ``initial_state(n)`` and
``step(state, inputs) → (action probabilities (n, 2), new state)``. The state is the Bayes
sufficient statistics, per arm (successes, failures) for Bernoulli arms and (pulls, reward
sum) for Gaussian arms, laid out (arm 0, arm 1), shape (n, 4); ``step`` adds the previous
pull, read from the input (one-hot a_{t-1}, r_{t-1}), which is all zeros at t = 1.

- :class:`GittinsAgent` (the paper's Opt): pulls the arm of larger Gittins index for the
  task's discount γ (Gittins 1979, JRSS B 41: 148–177; Gittins, Glazebrook & Weber 2011,
  *Multi-armed Bandit Allocation Indices*, Wiley), the optimal policy of the infinite-horizon
  discounted problem. Exact ties of the two indices are split 50/50 (SPEC §1).
- :class:`DynamicProgrammingAgent`: the Bayes-optimal policy of the finite T-step problem,
  maximising E Σ_{t=1}^{T} γ^{t−1} r_t, by backward induction over belief states (Bellman
  1956; Berry & Fristedt 1985, *Bandit Problems*, ch. 2). Exact for Bernoulli arms; on a
  posterior-mean grid for Gaussian arms (see :func:`gaussian_backward`).
- :class:`RandomAgent`: uniform.

:func:`policy_value` evaluates any of their policies by the same backward induction,
exactly for Bernoulli arms, so the agents can be compared without Monte Carlo noise.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import ndtr

from metabayes.gittins import (
    bernoulli_gittins_table,
    bernoulli_index,
    gaussian_gittins_table,
    gaussian_index,
)
from metabayes.tasks.bandit import N_ARMS, BanditEpisodes, BanditTask, step_input

if TYPE_CHECKING:
    from metabayes.agents import Agent

Policy = Callable[[np.ndarray], np.ndarray]
"""Bayes states (m, 4) → action probabilities (m, 2)."""

_INV_SQRT_2PI = 1 / np.sqrt(2 * np.pi)
_UNIT = np.eye(2 * N_ARMS, dtype=np.int64)  # one more success (2a) or failure (2a + 1) of arm a


def greedy(q: np.ndarray, tie: np.ndarray | None = None) -> np.ndarray:
    """Probabilities (..., 2) of the argmax of q (..., 2); q_0 = q_1, or ``tie``, gives 50/50."""
    equal = q[..., 0] == q[..., 1]
    probs = np.stack([q[..., 0] > q[..., 1], q[..., 1] > q[..., 0]], axis=-1).astype(np.float64)
    probs[equal if tie is None else equal | tie] = 0.5
    return probs


def arm_statistics(state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bayes state (..., 4) → the two statistics per arm, each (..., 2)."""
    return state[..., 0::2], state[..., 1::2]


def arm_pulls(task: BanditTask, state: np.ndarray) -> np.ndarray:
    """Number of pulls of each arm, (..., 4) → (..., 2)."""
    first, second = arm_statistics(state)
    return first + second if task.bernoulli else first


def gaussian_posterior(task: BanditTask, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Posterior of Gaussian arms: precision N = σ²/s0² + pulls (in units of 1/σ²) and mean.

    θ_a | data ~ Normal(m_a, σ²/N_a) with m_a = (n0_a μ0_a + Σr)/N_a, n0_a = σ²/s0_a².
    Shapes: state (..., 4) → N and m, each (..., 2).
    """
    pulls, total = arm_statistics(state)
    n0, mu0 = normal_prior(task)
    precision = n0 + pulls
    return precision, (n0 * mu0 + total) / precision


def normal_prior(task: BanditTask) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian arms' priors as pseudo-observations n0_a = σ²/s0_a² with mean μ0_a, (2,) each."""
    n0 = np.array([task.reward.sigma**2 / p.sd**2 for p in task.priors])
    return n0, np.array([p.mean for p in task.priors])


def beta_means(task: BanditTask, counts: np.ndarray) -> np.ndarray:
    """Posterior means (a0 + s)/(a0 + b0 + s + f) of Bernoulli arms: (..., 4) → (..., 2)."""
    s, f = arm_statistics(counts)
    a = np.array([p.a for p in task.priors])
    b = np.array([p.b for p in task.priors])
    return (a + s) / (a + b + s + f)


def valid_statistics(task: BanditTask, state: np.ndarray, max_count: int) -> np.ndarray:
    """The nearest reachable Bayes state to arbitrary real statistics (..., 4).

    Counts (successes and failures, or pulls) are rounded to whole numbers in
    [0, max_count]; Gaussian reward sums are left as they are. Used on states reconstructed
    from an embedding (structural analysis), so that the Gittins tables can be read there.
    """
    counts = np.clip(np.rint(state), 0, max_count)
    if task.bernoulli:
        return counts
    valid = state.copy()
    valid[..., 0::2] = counts[..., 0::2]
    return valid


class _StatisticsAgent:
    """Keeps the Bayes sufficient statistics; subclasses map them to action probabilities."""

    def __init__(self, task: BanditTask):
        self.task = task
        self.state_dim = task.state_dim

    def initial_state(self, n: int) -> np.ndarray:
        return np.zeros((n, self.state_dim))

    def step(self, state: np.ndarray, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        one_hot, reward = inputs[:, :N_ARMS], inputs[:, N_ARMS:]
        if self.task.bernoulli:  # (successes, failures) per arm
            pull = np.stack([one_hot * reward, one_hot * (1 - reward)], axis=-1)
        else:  # (pulls, reward sum) per arm
            pull = np.stack([one_hot, one_hot * reward], axis=-1)
        state = state + pull.reshape(len(state), -1)
        return self.probabilities(state), state

    def probabilities(self, state: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class RandomAgent(_StatisticsAgent):
    """Pulls either arm with probability 1/2 (it keeps the statistics only for the traces)."""

    def probabilities(self, state):
        return np.full((*state.shape[:-1], N_ARMS), 0.5)


# --------------------------------------------------------------------------------------------
# Gittins index policy
# --------------------------------------------------------------------------------------------


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


def gittins_tables(task: BanditTask, max_pulls: int = 40) -> list[np.ndarray]:
    """The Gittins-index tables of a task's two arms, each indexed by that arm's statistics.

    Bernoulli arm a with prior Beta(a_a, b_a): G_a[s, f] = ν(a_a + s, b_a + f) for
    s + f ≤ max_pulls (NaN beyond), the normalised index at discount γ, accurate to 1e-9
    (:func:`metabayes.gittins.bernoulli_gittins_table`). Arms whose priors differ by whole
    numbers of successes and failures (Beta(1, 1) and Beta(3, 3)) are cut from one table, so
    equal posteriors get bitwise-equal indices. Gaussian arm a: ν(0, n0_a + k) for
    k = 0 … max_pulls pulls, n0_a = σ²/s0_a² (:func:`metabayes.gittins.gaussian_gittins_nu`).
    Tables are computed once per process and shared.
    """
    if not task.bernoulli:
        n0, _ = normal_prior(task)
        return [_gaussian_table(float(n), task.gamma, max_pulls) for n in n0]
    a0 = min(p.a for p in task.priors)
    b0 = min(p.b for p in task.priors)
    offsets = [(p.a - a0, p.b - b0) for p in task.priors]
    if not all(float(x).is_integer() for pair in offsets for x in pair):
        return [_bernoulli_table(p.a, p.b, task.gamma, max_pulls) for p in task.priors]
    n_max = max_pulls + int(max(sum(pair) for pair in offsets))
    shared = _bernoulli_table(a0, b0, task.gamma, n_max)
    counts = np.arange(max_pulls + 1)
    beyond = np.add.outer(counts, counts) > max_pulls
    tables = []
    for ds, df in ((int(ds), int(df)) for ds, df in offsets):
        table = shared[ds : ds + max_pulls + 1, df : df + max_pulls + 1].copy()
        table[beyond] = np.nan
        tables.append(table)
    return tables


class GittinsAgent(_StatisticsAgent):
    """The Gittins-index policy (the paper's Opt), read from float64 tables (1e-9 accurate).

    Bernoulli arms: index ν(a0 + s, b0 + f), the normalised index of the Beta posterior.
    Gaussian arms: index m_a + σ·ν(0, N_a) with N_a = σ²/s0² + pulls
    (:func:`metabayes.gittins.gaussian_index`). The arm of larger index is pulled; exactly
    equal indices give (0.5, 0.5).

    Args:
        task: the bandit task; its γ is the discount of the indices.
        tables: per arm, from :func:`gittins_tables` (or a table file of the workflow,
            :mod:`metabayes.index_tables`); computed for ``max_pulls`` if None.
        max_pulls: pulls per arm the computed tables cover (steps played − 1).
    """

    def __init__(
        self, task: BanditTask, tables: list[np.ndarray] | None = None, max_pulls: int = 40
    ):
        super().__init__(task)
        self.tables = gittins_tables(task, max_pulls) if tables is None else tables

    def indices(self, state: np.ndarray) -> np.ndarray:
        """Gittins indices of both arms, (n, 4) → (n, 2)."""
        first, second = arm_statistics(state.astype(np.int64))
        if self.task.bernoulli:
            columns = [
                bernoulli_index(G, first[:, a], second[:, a]) for a, G in enumerate(self.tables)
            ]
        else:
            _, mean = gaussian_posterior(self.task, state)
            sigma = self.task.reward.sigma
            columns = [
                gaussian_index(mean[:, a], first[:, a], sigma, G) for a, G in enumerate(self.tables)
            ]
        return np.stack(columns, axis=-1)

    def probabilities(self, state):
        return greedy(self.indices(state))


# --------------------------------------------------------------------------------------------
# Finite-horizon dynamic programming: Bernoulli arms, exact
# --------------------------------------------------------------------------------------------

DP_TIE_RTOL = 1e-12
"""Q-values closer than this (relative) are ties: equal in exact arithmetic, see below."""


def bernoulli_backward(
    task: BanditTask, horizon: int, gamma: float, policy: Policy | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Backward induction over the Bernoulli belief states x = (s0, f0, s1, f1), Σx < H.

    With p_a(x) the posterior mean of arm a and x + s_a, x + f_a the states after a success
    or a failure of arm a, the value to go from state x (at step t = Σx + 1) is

        V(x) = Σ_a π_a(x) Q_a(x),   Q_a(x) = p_a(x)[1 + γV(x + s_a)] + (1 − p_a(x)) γV(x + f_a),

    with V = 0 at Σx = H, and π the greedy policy (the Bayes-optimal one, Bellman's
    equation) if ``policy`` is None, else the given policy (its exact value). Every state
    is enumerated: C(H + 3, 4) = 8855 of them for H = 20.

    Args:
        task: a Bernoulli bandit task.
        horizon: number of steps H.
        gamma: discount (1 for the undiscounted sum).
        policy: states (m, 4) → probabilities (m, 2); None for the optimal policy.

    Returns:
        V of shape (H+2,)*4 (0 where Σx ≥ H) and Q of shape (H+1,)*4 + (2,) (NaN where Σx ≥ H).
        The value of the game is V[0, 0, 0, 0].
    """
    V = np.zeros((horizon + 2,) * 4)
    Q = np.full((horizon + 1,) * 4 + (N_ARMS,), np.nan)
    for x in reversed(_belief_levels(horizon)):
        q = _bernoulli_q(task, V, x, gamma)
        probs = _dp_greedy(q) if policy is None else policy(x.astype(np.float64))
        Q[tuple(x.T)] = q
        V[tuple(x.T)] = np.sum(probs * q, axis=-1)
    return V, Q


def _belief_levels(horizon: int) -> list[np.ndarray]:
    """States x (m, 4) with Σx = n, for n = 0 … H − 1."""
    c = np.arange(horizon)
    grid = np.stack(np.meshgrid(c, c, c, c, indexing="ij"), axis=-1).reshape(-1, 2 * N_ARMS)
    return [grid[grid.sum(axis=1) == n] for n in range(horizon)]


def _bernoulli_q(task: BanditTask, V: np.ndarray, x: np.ndarray, gamma: float) -> np.ndarray:
    """Q-values (m, 2) at states x (m, 4) given the values V of the next level."""
    p = beta_means(task, x)
    win = np.stack([V[tuple((x + _UNIT[2 * a]).T)] for a in range(N_ARMS)], axis=-1)
    lose = np.stack([V[tuple((x + _UNIT[2 * a + 1]).T)] for a in range(N_ARMS)], axis=-1)
    return p * (1 + gamma * win) + (1 - p) * gamma * lose


def _dp_greedy(q: np.ndarray) -> np.ndarray:
    """Greedy probabilities with ties up to DP_TIE_RTOL (rounding of equal Q-values)."""
    return greedy(q, np.abs(q[..., 0] - q[..., 1]) <= DP_TIE_RTOL * np.abs(q).max(axis=-1))


# --------------------------------------------------------------------------------------------
# Finite-horizon dynamic programming: Gaussian arms, on a grid of posterior-mean differences
# --------------------------------------------------------------------------------------------

_CHUNK = 1 << 22  # elements per block of the (rows, points, knots) expectation arrays


@dataclass(frozen=True)
class GaussianGrid:
    """Value functions U_{n,k}(d) of :func:`gaussian_backward` at the knots of a d-grid.

    Attributes:
        knots: increasing values of d = m_0 − m_1, shape (M,).
        values: U[n, k] at the knots for n pulls so far, k of them of arm 0 (k ≤ n, zero
            elsewhere and at n = H), shape (H + 1, H + 1, M).
    """

    knots: np.ndarray
    values: np.ndarray

    def value(self, task: BanditTask, gamma: float) -> float:
        """Value of the game, V = μ0_1·G_0 + U_{0,0}(μ0_0 − μ0_1), G_0 = Σ_{j<H} γ^j."""
        mu0 = [p.mean for p in task.priors]
        horizon = len(self.values) - 1
        u = np.interp(mu0[0] - mu0[1], self.knots, self.values[0, 0])
        return float(mu0[1] * np.sum(gamma ** np.arange(horizon)) + u)


def gaussian_backward(
    task: BanditTask,
    horizon: int,
    gamma: float,
    n_knots: int = 401,
    width: float = 6.0,
    core: float = 0.25,
    policy: Policy | None = None,
) -> GaussianGrid:
    """Backward induction for Gaussian arms over (pulls, posterior-mean difference).

    After n pulls, k of arm 0, arm a's posterior is θ_a ~ Normal(m_a, σ²/N_a) with
    N_0 = n0_0 + k, N_1 = n0_1 + n − k, n0_a = σ²/s0_a². Pulling arm a pays m_a in
    expectation and moves m_a to m_a + ς_a Z, Z ~ N(0, 1), ς_a² = σ²/N_a − σ²/(N_a + 1)
    (the preposterior). Adding c to all rewards adds c·G_n to every policy's value,
    G_n = Σ_{j<H−n} γ^j, so the value is V_n = m_1 G_n + U_{n,k}(d), d = m_0 − m_1, with

        U_{n,k}(d) = Σ_a π_a Q̃_a(d),   Q̃_0(d) = d + γ E U_{n+1,k+1}(d + ς_0 Z),
                                        Q̃_1(d) = γ E U_{n+1,k}(d − ς_1 Z),   U_{H,·} = 0,

    and π greedy in Q̃ (Bayes-optimal) or a given policy that, like the Gittins, DP and
    random policies, depends on the means only through d.

    Discretisation: U_{n,k} is kept at ``n_knots`` knots spanning d_0 ± width·w, where
    d_0 = μ0_0 − μ0_1 and w² = s0_0² + s0_1² bounds the variance of d − d_0 at every step,
    packed near d_0 where the decision boundaries lie (:func:`_sinh_knots`), and replaced by
    its piecewise-linear interpolant, extended linearly beyond the end knots (U is
    asymptotically linear: slope 0 far below, G_n far above). The Gaussian expectation of a
    piecewise-linear function is exact (:func:`_expect_linear`), so interpolation is the
    only error: O(h²), and for the optimal policy one-sided, since U is convex and its
    interpolant lies above it (the grid value is an upper bound, up to the exponentially
    small tails beyond ±width·w). Measured on the 20-step games at γ = 0.9 (refinement
    201 → 401 → 801 knots, successive differences in ratio 4.0, limit by Richardson
    extrapolation; ``benchmarks/bandit_values.py``): the optimal value is 3.39870 (σ = 1) and
    3.84241 (σ = 0.5); the default 401 knots overestimate it by 1.9e-4 and 1.5e-4, 801 knots
    by 4.7e-5 and 3.8e-5, 101 knots by about 3e-3. Cost ∝ H²M²/2: 1.5 s at the defaults.

    Args:
        task: a Gaussian bandit task.
        horizon: number of steps H.
        gamma: discount (1 for the undiscounted sum).
        n_knots: number of knots M (odd puts a knot at d_0).
        width: half-width of the grid in prior standard deviations w of d.
        core: width of the densely packed centre, in units of w (see :func:`_sinh_knots`).
        policy: states (m, 4) → probabilities (m, 2); None for the optimal policy.

    Returns:
        The grid and U at its knots.
    """
    knots = _sinh_knots(task, n_knots, width, core)
    U = np.zeros((horizon + 1, horizon + 1, n_knots))
    for n in range(horizon - 1, -1, -1):
        k, d = np.arange(n + 1), np.broadcast_to(knots, (n + 1, n_knots))
        q = _gaussian_q(task, gamma, GaussianGrid(knots, U), np.full(n + 1, n), k, d)
        if policy is None:
            probs = greedy(q)
        else:
            probs = policy(_gaussian_states(task, n, k, d).reshape(-1, 4)).reshape(q.shape)
        U[n, : n + 1] = np.sum(probs * q, axis=-1)
    return GaussianGrid(knots, U)


def _sinh_knots(task: BanditTask, n_knots: int, width: float, core: float) -> np.ndarray:
    """Knots d_0 + w·c·sinh(u·asinh(width/c)), u ∈ [−1, 1], w = (s0_0² + s0_1²)^½, c = core.

    Near d_0, where the decision boundaries lie, the knots are width/(c·asinh(width/c))
    times closer than on a uniform grid (6.2 at the defaults); their spacing grows like
    |d − d_0| in the nearly linear tails, up to the end knots d_0 ± width·w.
    """
    spread = np.sqrt(sum(p.sd**2 for p in task.priors))
    centre = task.priors[0].mean - task.priors[1].mean
    u = np.linspace(-1.0, 1.0, n_knots)
    return centre + spread * core * np.sinh(u * np.arcsinh(width / core))


def _gaussian_q(
    task: BanditTask, gamma: float, grid: GaussianGrid, n: np.ndarray, k: np.ndarray, d: np.ndarray
) -> np.ndarray:
    """Q̃-values (B, P, 2) at differences d (B, P) after n (B,) pulls, k (B,) of arm 0."""
    n0, _ = normal_prior(task)
    precision = n0 + np.stack([k, n - k], axis=-1)
    step_sd = task.reward.sigma / np.sqrt(precision * (precision + 1))
    win = _expect_linear(grid.knots, grid.values[n + 1, k + 1], d, step_sd[:, 0])
    stay = _expect_linear(grid.knots, grid.values[n + 1, k], d, step_sd[:, 1])
    return np.stack([d + gamma * win, gamma * stay], axis=-1)


def _gaussian_states(task: BanditTask, n: int, k: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Bayes states (B, P, 4) with pulls (k, n − k) and means m_0 = d, m_1 = 0."""
    n0, mu0 = normal_prior(task)
    pulls = np.broadcast_to(np.stack([k, n - k], axis=-1)[:, None], (*d.shape, 2))
    sum0 = d * (n0[0] + pulls[..., 0]) - n0[0] * mu0[0]
    sum1 = np.full(d.shape, -n0[1] * mu0[1])
    return np.stack([pulls[..., 0], sum0, pulls[..., 1], sum1], axis=-1)


def _expect_linear(knots: np.ndarray, values: np.ndarray, mu: np.ndarray, sd: np.ndarray):
    """E L_b(μ + ς_b Z), Z ~ N(0, 1), for piecewise-linear L_b through (knots, values[b]).

    L_b is extended linearly beyond the end knots. Writing L(x) = y_0 + β_0(x − x_0) +
    Σ_j c_j (x − x_j)_+ over the interior knots, with c_j the change of slope at x_j, and
    E(μ + ςZ − x)_+ = ς g((μ − x)/ς), g(z) = zΦ(z) + φ(z) (the normal hinge expectation):

        E L(μ + ςZ) = y_0 + β_0(μ − x_0) + ς Σ_j c_j g((μ − x_j)/ς).

    Args:
        knots: (M,); values: (B, M); mu: points (B, P); sd: ς per row (B,).

    Returns:
        Shape (B, P).
    """
    rows = max(1, _CHUNK // (mu.shape[1] * knots.size))
    if len(mu) > rows:
        blocks = range(0, len(mu), rows)
        parts = [
            _expect_linear(knots, values[i : i + rows], mu[i : i + rows], sd[i : i + rows])
            for i in blocks
        ]
        return np.concatenate(parts)
    slopes = np.diff(values, axis=-1) / np.diff(knots)
    kinks = np.diff(slopes, axis=-1)
    z = (mu[:, :, None] - knots[1:-1]) / sd[:, None, None]
    hinge = z * ndtr(z) + _INV_SQRT_2PI * np.exp(-0.5 * z * z)
    linear = values[:, :1] + slopes[:, :1] * (mu - knots[0])
    return linear + sd[:, None] * np.einsum("bpm,bm->bp", hinge, kinks)


# --------------------------------------------------------------------------------------------
# The dynamic-programming agent, exact values, and games
# --------------------------------------------------------------------------------------------


class DynamicProgrammingAgent(_StatisticsAgent):
    """The Bayes-optimal policy of the H-step discounted bandit, by backward induction.

    Bernoulli arms: the exact Q-values of :func:`bernoulli_backward`, looked up at the state;
    Q-values equal up to :data:`DP_TIE_RTOL` are split 50/50 (on the SPEC tasks every tie is
    bitwise exact and the closest distinct Q-values differ by > 3e-5). Gaussian arms: the
    one-step lookahead Q̃_a at the state's exact posterior means, with the continuation values
    U_{n+1} of :func:`gaussian_backward` (exact Gaussian expectation of their interpolant);
    ties only where both arms' posteriors are identical (at t = 1 with equal priors).
    Defined for the first H steps only (states with fewer than H pulls).

    Args:
        task: the bandit task.
        horizon: number of steps H (the episode length).
        gamma: discount; the task's γ if None.
        **grid: ``n_knots``, ``width``, ``core`` of :func:`gaussian_backward` (Gaussian arms).

    Attributes:
        value: the optimal expected return E Σ γ^{t−1} r_t: exact for Bernoulli arms; for
            Gaussian arms the grid value, an upper bound, 2e-4 high at the default 401 knots.
    """

    def __init__(
        self, task: BanditTask, horizon: int = 20, gamma: float | None = None, **grid: float
    ):
        super().__init__(task)
        self.horizon = horizon
        self.gamma = task.gamma if gamma is None else gamma
        if task.bernoulli:
            V, self._q = bernoulli_backward(task, horizon, self.gamma)
            self.value = float(V[0, 0, 0, 0])
        else:
            self._grid = gaussian_backward(task, horizon, self.gamma, **grid)
            self.value = self._grid.value(task, self.gamma)

    def q_values(self, state: np.ndarray) -> np.ndarray:
        """Q-values (n, 2) at states (n, 4); for Gaussian arms up to a common shift m_1 G_n."""
        if np.any(arm_pulls(self.task, state).sum(axis=1) >= self.horizon):
            raise IndexError(f"states beyond the horizon of {self.horizon} pulls")
        if self.task.bernoulli:
            return self._q[tuple(state.astype(np.int64).T)]
        pulls = state[:, 0::2].astype(np.int64)
        _, mean = gaussian_posterior(self.task, state)
        n, k = pulls.sum(axis=1), pulls[:, 0]
        d = (mean[:, 0] - mean[:, 1])[:, None]
        return _gaussian_q(self.task, self.gamma, self._grid, n, k, d)[:, 0]

    def probabilities(self, state):
        q = self.q_values(state)
        if self.task.bernoulli:
            return _dp_greedy(q)
        precision, mean = gaussian_posterior(self.task, state)
        same = (precision[:, 0] == precision[:, 1]) & (mean[:, 0] == mean[:, 1])
        return greedy(q, same)


def policy_value(
    task: BanditTask,
    policy: Policy,
    horizon: int = 20,
    gamma: float | None = None,
    **grid: float,
) -> float:
    """Expected return E Σ_{t=1}^{H} γ^{t−1} r_t of a policy, by backward induction.

    Exact enumeration of the belief states for Bernoulli arms (:func:`bernoulli_backward`);
    for Gaussian arms on the grid of :func:`gaussian_backward` (the policy must depend on
    the means only through m_0 − m_1, as the Gittins, DP and random policies do).

    Args:
        task: the bandit task.
        policy: states (m, 4) → probabilities (m, 2), e.g. ``agent.probabilities``.
        horizon: number of steps H.
        gamma: discount; the task's γ if None (1 for the undiscounted return).
        **grid: ``n_knots``, ``width``, ``core`` (Gaussian arms).
    """
    gamma = task.gamma if gamma is None else gamma
    if task.bernoulli:
        return float(bernoulli_backward(task, horizon, gamma, policy)[0][0, 0, 0, 0])
    return gaussian_backward(task, horizon, gamma, policy=policy, **grid).value(task, gamma)


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
