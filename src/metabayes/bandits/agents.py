"""Bayes-optimal and reference agents for the two-armed bandits, and exact policy values.

Every agent has the interface of :mod:`metabayes.agents`: ``initial_state(n)`` and
``step(state, inputs) → (action probabilities (n, 2), new state)``. The state is the Bayes
state of the task's arm family (:mod:`metabayes.bandits.arms`: per arm (successes,
failures) for Bernoulli arms, (pulls, reward sum) for Gaussian arms), laid out (arm 0,
arm 1), shape (n, 4); ``step`` adds the previous pull, read from the input (one-hot a_{t-1},
r_{t-1}), which is all zeros at t = 1.

- :class:`GittinsAgent` (the paper's Opt): pulls the arm of larger Gittins index for the
  task's discount γ (Gittins 1979, JRSS B 41: 148–177; Gittins, Glazebrook & Weber 2011,
  *Multi-armed Bandit Allocation Indices*, Wiley), the optimal policy of the infinite-horizon
  discounted problem. Exact ties of the two indices are split 50/50 (SPEC §1).
- :class:`DynamicProgrammingAgent`: the Bayes-optimal policy of the finite T-step problem,
  maximising E Σ_{t=1}^{T} γ^{t−1} r_t, by backward induction over belief states
  (:mod:`metabayes.bandits.dp`). Exact for Bernoulli arms; on a posterior-mean grid for
  Gaussian arms.
- :class:`RandomAgent`: uniform.

:func:`policy_value` evaluates any of their policies by the same backward induction,
exactly for Bernoulli arms, so the agents can be compared without Monte Carlo noise.
"""

from __future__ import annotations

import numpy as np

from metabayes.bandits.policy import Policy, greedy
from metabayes.tasks.bandit import N_ARMS, BanditTask


class _StatisticsAgent:
    """Keeps the Bayes state; subclasses map it to action probabilities."""

    def __init__(self, task: BanditTask):
        self.task = task
        self.state_dim = task.state_dim

    def initial_state(self, n: int) -> np.ndarray:
        return np.zeros((n, self.state_dim))

    def step(self, state: np.ndarray, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        one_hot, reward = inputs[:, :N_ARMS], inputs[:, N_ARMS:]
        state = state + self.task.arms.pull_statistics(one_hot, reward)
        return self.probabilities(state), state

    def probabilities(self, state: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class RandomAgent(_StatisticsAgent):
    """Pulls either arm with probability 1/2 (it keeps the statistics only for the traces)."""

    def probabilities(self, state):
        return np.full((*state.shape[:-1], N_ARMS), 0.5)


def gittins_tables(task: BanditTask, max_pulls: int = 40) -> list[np.ndarray]:
    """The Gittins-index tables of a task's two arms at its discount γ, each indexed by that
    arm's statistics (:meth:`metabayes.bandits.arms.ArmFamily.gittins_tables`)."""
    return task.arms.gittins_tables(task.gamma, max_pulls)


class GittinsAgent(_StatisticsAgent):
    """The Gittins-index policy (the paper's Opt), read from float64 tables (1e-9 accurate).

    Bernoulli arms: index ν(a0 + s, b0 + f), the normalised index of the Beta posterior.
    Gaussian arms: index m_a + σ·ν(0, N_a) with N_a = σ²/s0² + pulls
    (:meth:`metabayes.bandits.arms.ArmFamily.indices`). The arm of larger index is pulled;
    exactly equal indices give (0.5, 0.5).

    Args:
        task: the bandit task; its γ is the discount of the indices.
        tables: per arm, from :func:`gittins_tables` (or a table file of the workflow,
            :mod:`metabayes.bandits.index_tables`); computed for ``max_pulls`` if None.
        max_pulls: pulls per arm the computed tables cover (steps played − 1).
    """

    def __init__(
        self, task: BanditTask, tables: list[np.ndarray] | None = None, max_pulls: int = 40
    ):
        super().__init__(task)
        self.tables = gittins_tables(task, max_pulls) if tables is None else tables

    def indices(self, state: np.ndarray) -> np.ndarray:
        """Gittins indices of both arms, (n, 4) → (n, 2)."""
        return self.task.arms.indices(self.tables, state)

    def probabilities(self, state):
        return greedy(self.indices(state))


class DynamicProgrammingAgent(_StatisticsAgent):
    """The Bayes-optimal policy of the H-step discounted bandit, by backward induction.

    Bernoulli arms: the exact Q-values of :func:`metabayes.bandits.dp.bernoulli_backward`,
    looked up at the state; Q-values equal up to :data:`metabayes.bandits.dp.DP_TIE_RTOL`
    are split 50/50 (on the SPEC tasks every tie is bitwise exact and the closest distinct
    Q-values differ by > 3e-5). Gaussian arms: the one-step lookahead Q̃_a at the state's
    exact posterior means, with the continuation values U_{n+1} of
    :func:`metabayes.bandits.dp.gaussian_backward` (exact Gaussian expectation of their
    interpolant); ties only where both arms' posteriors are identical (at t = 1 with equal
    priors). Defined for the first H steps only (states with fewer than H pulls).

    Args:
        task: the bandit task.
        horizon: number of steps H (the episode length).
        gamma: discount; the task's γ if None.
        **grid: ``n_knots``, ``width``, ``core`` of the Gaussian arms' grid.

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
        self._solution = task.arms.solve(horizon, self.gamma, **grid)
        self.value = self._solution.value

    def q_values(self, state: np.ndarray) -> np.ndarray:
        """Q-values (n, 2) at states (n, 4); for Gaussian arms up to a common shift m_1 G_n."""
        return self._solution.q_values(self._within_horizon(state))

    def probabilities(self, state):
        return self._solution.probabilities(self._within_horizon(state))

    def _within_horizon(self, state: np.ndarray) -> np.ndarray:
        if np.any(self.task.arms.pulls(state).sum(axis=1) >= self.horizon):
            raise IndexError(f"states beyond the horizon of {self.horizon} pulls")
        return state


def policy_value(
    task: BanditTask,
    policy: Policy,
    horizon: int = 20,
    gamma: float | None = None,
    **grid: float,
) -> float:
    """Expected return E Σ_{t=1}^{H} γ^{t−1} r_t of a policy, by backward induction.

    Exact enumeration of the belief states for Bernoulli arms; for Gaussian arms on the grid
    of :func:`metabayes.bandits.dp.gaussian_backward` (the policy must depend on the means
    only through m_0 − m_1, as the Gittins, DP and random policies do).

    Args:
        task: the bandit task.
        policy: states (m, 4) → probabilities (m, 2), e.g. ``agent.probabilities``.
        horizon: number of steps H.
        gamma: discount; the task's γ if None (1 for the undiscounted return).
        **grid: ``n_knots``, ``width``, ``core`` (Gaussian arms).
    """
    gamma = task.gamma if gamma is None else gamma
    return task.arms.solve(horizon, gamma, policy=policy, **grid).value
