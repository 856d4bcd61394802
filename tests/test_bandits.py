"""Bandit tasks and their Bayes-optimal agents: common random numbers, inputs, statistics,
ties, exact values against a brute-force recursion, and Monte Carlo agreement."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

from metabayes.agents import rollout
from metabayes.bandits.agents import (
    DynamicProgrammingAgent,
    GittinsAgent,
    RandomAgent,
    policy_value,
)
from metabayes.bandits.arms import BernoulliArms, BetaPrior
from metabayes.bandits.dp import _expect_linear, _sinh_knots, gaussian_backward
from metabayes.bandits.games import discounted_return, play
from metabayes.bandits.gittins import bernoulli_gittins_table
from metabayes.tasks.bandit import BANDIT_TASKS, BanditTask, action_uniforms

T, GAMMA = 20, 0.9
BERNOULLI = ["bernoulli_bandit_beta_1_1", "bernoulli_bandit_beta_1_1_vs_3_3"]
GAUSSIAN = ["gaussian_bandit_sigma_1", "gaussian_bandit_sigma_05"]
COARSE = {"n_knots": 101}  # Gaussian DP grid for the fast tests


def bernoulli(task: BanditTask) -> bool:
    return isinstance(task.arms, BernoulliArms)


@functools.cache
def agents(name: str) -> dict:
    task = BANDIT_TASKS[name]
    return {
        "gittins": GittinsAgent(task, max_pulls=T),
        "dp": DynamicProgrammingAgent(task, T, **({} if bernoulli(task) else COARSE)),
        "random": RandomAgent(task),
    }


def game(name: str, agent: str, n: int = 500, seed: int = 0):
    task = BANDIT_TASKS[name]
    episodes = task.sample(np.random.default_rng(seed), n, T)
    return episodes, play(
        agents(name)[agent],
        task,
        episodes,
        action_uniforms(np.random.default_rng(seed + 1), *episodes.rewards.shape[:2]),
    )


def running_statistics(task: BanditTask, actions: np.ndarray, rewards: np.ndarray) -> np.ndarray:
    """Statistics before each step by brute-force counting, shape (K, T, 4)."""
    K, steps = actions.shape
    out = np.zeros((K, steps, 4))
    for k in range(K):
        for t in range(steps):
            for arm in range(2):
                r = rewards[k, :t][actions[k, :t] == arm]
                first, second = (r.sum(), (1 - r).sum()) if bernoulli(task) else (r.size, r.sum())
                out[k, t, 2 * arm : 2 * arm + 2] = first, second
    return out


def brute_force_value(priors: list[tuple[float, float]], horizon: int, gamma: float) -> float:
    """Bayes-optimal value of a Bernoulli bandit by recursion over full histories ((a, r), …)."""

    def value(history: tuple[tuple[int, int], ...]) -> float:
        if len(history) == horizon:
            return 0.0
        best = -math.inf
        for arm, (a, b) in enumerate(priors):
            rewards = [r for pulled, r in history if pulled == arm]
            p = (a + sum(rewards)) / (a + b + len(rewards))
            win, lose = value((*history, (arm, 1))), value((*history, (arm, 0)))
            best = max(best, p + gamma * (p * win + (1 - p) * lose))
        return best

    return value(())


# --- tasks and inputs ---------------------------------------------------------------------


def test_registry():
    assert sorted(BANDIT_TASKS) == sorted(BERNOULLI + GAUSSIAN)
    for name, task in BANDIT_TASKS.items():
        assert task.name == name and task.gamma == GAMMA
        assert task.input_dim == 3 and task.state_dim == len(task.state_names) == 4


@pytest.mark.parametrize("name", BERNOULLI + GAUSSIAN)
def test_sample_shapes_and_reproducibility(name):
    task = BANDIT_TASKS[name]
    a = task.sample(np.random.default_rng(3), 7, T)
    b = task.sample(np.random.default_rng(3), 7, T)
    assert a.theta.shape == (7, 2) and a.rewards.shape == (7, T, 2)
    np.testing.assert_array_equal(a.rewards, b.rewards)
    if bernoulli(task):
        assert set(np.unique(a.rewards)) <= {0.0, 1.0}


@pytest.mark.parametrize("name", BERNOULLI + GAUSSIAN)
def test_common_random_numbers(name):
    """Every agent on an episode gets r[t, a_t] of the same table."""
    episodes, gittins = game(name, "gittins")
    _, random = game(name, "random")
    K = len(episodes.theta)
    for g in (gittins, random):
        expected = episodes.rewards[np.arange(K)[:, None], np.arange(T), g.actions]
        np.testing.assert_array_equal(g.rewards, expected)
    same = gittins.actions == random.actions
    assert same.any() and not same.all()
    if BANDIT_TASKS[name].priors[0] == BANDIT_TASKS[name].priors[1]:
        assert same[:, 0].all()  # both 50/50 at t = 1, and the same action draws
    np.testing.assert_array_equal(gittins.rewards[same], random.rewards[same])


def test_input_encoding():
    task = BANDIT_TASKS["gaussian_bandit_sigma_1"]
    inputs = task.inputs(np.array([[1, 0, 1]]), np.array([[0.5, -2.0, 3.0]]))
    np.testing.assert_array_equal(inputs[0], [[0, 0, 0], [0, 1, 0.5], [1, 0, -2.0]])


@pytest.mark.parametrize("name", BERNOULLI + GAUSSIAN)
def test_game_inputs_replay(name):
    """The recorded inputs are what the agent read: replaying them gives the same trace."""
    _, g = game(name, "gittins", n=50)
    probabilities, states = rollout(agents(name)["gittins"], g.inputs)
    np.testing.assert_array_equal(probabilities, g.probabilities)
    np.testing.assert_array_equal(states, g.states)


def test_bandit_valid_statistics_round_counts_and_keep_sums():
    bernoulli = BANDIT_TASKS["bernoulli_bandit_beta_1_1"]
    gaussian = BANDIT_TASKS["gaussian_bandit_sigma_1"]
    state = np.array([[1.4, -0.7, 2.6, 30.2]])
    np.testing.assert_array_equal(bernoulli.arms.valid_statistics(state, 20), [[1, 0, 3, 20]])
    np.testing.assert_array_equal(gaussian.arms.valid_statistics(state, 20), [[1, -0.7, 3, 30.2]])


# --- agents ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", BERNOULLI + GAUSSIAN)
@pytest.mark.parametrize("agent", ["gittins", "dp", "random"])
def test_statistics_are_running_counts(name, agent):
    _, g = game(name, agent, n=20)
    expected = running_statistics(BANDIT_TASKS[name], g.actions, g.rewards)
    np.testing.assert_allclose(g.states, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", ["bernoulli_bandit_beta_1_1", *GAUSSIAN])
@pytest.mark.parametrize("agent", ["gittins", "dp"])
def test_identical_priors_tie_at_first_step(name, agent):
    _, g = game(name, agent, n=50)
    np.testing.assert_array_equal(g.probabilities[:, 0], 0.5)


def test_beta_3_3_arm_offsets():
    """Beta(1, 1) vs Beta(3, 3): the uncertain arm first; equal posteriors tie exactly; the
    offset lookup agrees with a table computed for Beta(3, 3) itself."""
    task = BANDIT_TASKS["bernoulli_bandit_beta_1_1_vs_3_3"]
    agent = agents(task.name)["gittins"]
    states = np.array([[0, 0, 0, 0], [2, 2, 0, 0], [3, 1, 1, 3]], dtype=float)
    np.testing.assert_array_equal(agent.probabilities(states), [[1, 0], [0.5, 0.5], [1, 0]])
    own = bernoulli_gittins_table(3.0, 3.0, GAMMA, 10)
    s, f = np.meshgrid(np.arange(6), np.arange(5), indexing="ij")
    states = np.stack([0 * s, 0 * s, s, f], axis=-1).reshape(-1, 4).astype(float)
    np.testing.assert_allclose(agent.indices(states)[:, 1], own[s, f].ravel(), atol=1e-9)


def test_dp_horizon_guard():
    agent = agents("bernoulli_bandit_beta_1_1")["dp"]
    with pytest.raises(IndexError):
        agent.probabilities(np.array([[10.0, 5, 3, 2]]))


def test_discounted_return():
    np.testing.assert_allclose(discounted_return(np.array([[1.0, 2, 4]]), 0.5), [3.0])
    np.testing.assert_allclose(discounted_return(np.array([1.0, 2, 4]), 1.0), 7.0)


# --- exact values ---------------------------------------------------------------------------


def test_dp_hand_computed():
    """H = 1: 1/2. H = 2, γ = 1: 1/2 + 1/2·2/3 (stay on a success) + 1/2·1/2 (switch) = 13/12."""
    task = BANDIT_TASKS["bernoulli_bandit_beta_1_1"]
    assert DynamicProgrammingAgent(task, 1, gamma=1.0).value == pytest.approx(0.5, abs=1e-15)
    assert DynamicProgrammingAgent(task, 2, gamma=1.0).value == pytest.approx(13 / 12, abs=1e-15)


@pytest.mark.parametrize("name", BERNOULLI)
@pytest.mark.parametrize("gamma", [1.0, GAMMA])
def test_dp_matches_brute_force_over_histories(name, gamma):
    task = BANDIT_TASKS[name]
    priors = [(p.a, p.b) for p in task.priors]
    exact = brute_force_value(priors, 6, gamma)
    assert DynamicProgrammingAgent(task, 6, gamma=gamma).value == pytest.approx(exact, abs=1e-12)


def test_dp_brute_force_asymmetric_prior():
    """Priors that are not whole-number offsets of each other (separate Gittins tables too)."""
    task = BanditTask("test", BernoulliArms((BetaPrior(0.5, 1.5), BetaPrior(2.0, 1.0))))
    exact = brute_force_value([(0.5, 1.5), (2.0, 1.0)], 5, GAMMA)
    assert DynamicProgrammingAgent(task, 5).value == pytest.approx(exact, abs=1e-12)
    assert policy_value(task, GittinsAgent(task, max_pulls=5).probabilities, 5) <= exact + 1e-12


@pytest.mark.parametrize("name", BERNOULLI)
def test_exact_values_ordered(name):
    """Random ≤ Gittins ≤ DP = the DP policy's evaluated value; random is 1/2 per step."""
    task, team = BANDIT_TASKS[name], agents(name)
    dp = team["dp"].value
    gittins = policy_value(task, team["gittins"].probabilities, T)
    random = policy_value(task, team["random"].probabilities, T)
    assert policy_value(task, team["dp"].probabilities, T) == pytest.approx(dp, abs=1e-12)
    assert random == pytest.approx(0.5 * (1 - GAMMA**T) / (1 - GAMMA), abs=1e-12)
    assert random < gittins <= dp
    assert dp - gittins < 2e-3  # Gittins is near-optimal on 20 steps


@pytest.mark.parametrize("name", BERNOULLI)
@pytest.mark.parametrize("agent", ["gittins", "dp", "random"])
def test_monte_carlo_agrees_with_exact(name, agent):
    task = BANDIT_TASKS[name]
    _, g = game(name, agent, n=4000, seed=7)
    returns = discounted_return(g.rewards, GAMMA)
    exact = policy_value(task, agents(name)[agent].probabilities, T)
    assert abs(returns.mean() - exact) < 4 * returns.std() / math.sqrt(len(returns))


def test_gittins_tie_fraction():
    """About 8 % of a 20-step game's decisions are exact ties with identical priors (SPEC §3)."""
    _, g = game("bernoulli_bandit_beta_1_1", "gittins", n=4000, seed=11)
    assert 0.07 < np.mean(g.probabilities[..., 0] == 0.5) < 0.095


# --- Gaussian arms: the grid DP ---------------------------------------------------------------


@pytest.mark.parametrize("name", GAUSSIAN)
def test_gaussian_dp_two_steps_exact(name):
    """H = 2: pull either arm, then the better mean, worth γ E max(ςZ, 0) = γς/√(2π) with
    ς² = σ²/(n0(n0 + 1)); exact on the grid, whose centre knot holds the kink of max(d, 0)."""
    task = BANDIT_TASKS[name]
    n0 = task.arms.sigma**2 / task.priors[0].sd ** 2
    step_sd = task.arms.sigma / math.sqrt(n0 * (n0 + 1))
    value = gaussian_backward(task.arms, 2, GAMMA, n_knots=51).value(task.arms, GAMMA)
    assert value == pytest.approx(GAMMA * step_sd / math.sqrt(2 * math.pi), abs=1e-13)


def test_gaussian_expectations_on_the_knots_reuse_hinges_bit_for_bit():
    """Backward induction evaluates at the knots, where the hinge matrices depend on ς
    alone and are kept by ς: the same numbers as computing them row by row."""
    arms = BANDIT_TASKS["gaussian_bandit_sigma_05"].arms
    knots = _sinh_knots(arms, 61, 6.0, 0.25)
    rng = np.random.default_rng(0)
    values = np.cumsum(rng.random((5, 61)), axis=1)
    sd = np.array([0.3, 0.1, 0.3, 0.05, 0.1])  # repeated ς share a matrix
    mu = np.broadcast_to(knots, (5, 61))
    hinges = {}
    kept = _expect_linear(knots, values, mu, sd, hinges)
    np.testing.assert_array_equal(kept, _expect_linear(knots, values, mu, sd))
    assert sorted(hinges) == [0.05, 0.1, 0.3]
    np.testing.assert_array_equal(_expect_linear(knots, values, mu, sd, hinges), kept)


@pytest.mark.parametrize("name", GAUSSIAN)
def test_gaussian_dp_converges_under_refinement(name):
    """Piecewise-linear interpolation: error O(h²), from above (U is convex)."""
    task = BANDIT_TASKS[name]
    arms = task.arms
    values = [
        gaussian_backward(arms, T, GAMMA, n_knots=m).value(arms, GAMMA) for m in (51, 101, 201)
    ]
    first, second = values[0] - values[1], values[1] - values[2]
    assert 0 < second < first / 3
    assert second < 3e-3


@pytest.mark.parametrize("name", GAUSSIAN)
def test_gaussian_values_ordered_and_monte_carlo(name):
    task, team = BANDIT_TASKS[name], agents(name)
    dp = team["dp"].value
    gittins = policy_value(task, team["gittins"].probabilities, T, **COARSE)
    assert policy_value(task, team["dp"].probabilities, T, **COARSE) == pytest.approx(dp, abs=1e-3)
    assert policy_value(task, team["random"].probabilities, T, **COARSE) == pytest.approx(
        0, abs=1e-9
    )
    assert 0 < gittins < dp
    for agent, exact in [("gittins", gittins), ("dp", dp)]:
        _, g = game(name, agent, n=2000, seed=5)
        returns = discounted_return(g.rewards, GAMMA)
        assert abs(returns.mean() - exact) < 4 * returns.std() / math.sqrt(len(returns))
