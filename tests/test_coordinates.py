"""Coordinates of Opt's state: bijections of the sufficient statistics with the same outputs."""

from __future__ import annotations

import numpy as np
import pytest

from metabayes.agents import BayesOptimalPredictor, rollout
from metabayes.analysis.coordinates import Coordinates, in_coordinates
from metabayes.analysis.structure import Machine
from metabayes.bandits.agents import GittinsAgent
from metabayes.bandits.games import play
from metabayes.settings import Variant
from metabayes.simulate import evaluation_uniforms
from metabayes.tasks import BANDIT_TASKS, PREDICTION_TASKS


def _prediction_states(name, K=200, T=20, seed=0):
    task = PREDICTION_TASKS[name]
    episodes = task.sample(np.random.default_rng(seed), K, T)
    _, states = rollout(BayesOptimalPredictor(task.model), episodes.inputs)
    return task, states


@pytest.mark.parametrize("name", sorted(PREDICTION_TASKS))
def test_posterior_coordinates_round_trip_and_give_the_same_outputs(name):
    task, states = _prediction_states(name)
    model = task.model
    coordinates = Coordinates("posterior", (model,))
    z = coordinates.forward(states)
    assert z.shape == states.shape and np.all(np.isfinite(z))
    np.testing.assert_allclose(coordinates.inverse(z), states, rtol=1e-9, atol=1e-8)
    opt = Machine(states, model.predictive(states), lambda s: model.predictive(s))
    moved = in_coordinates(opt, coordinates)
    np.testing.assert_allclose(moved.emit(moved.states), opt.outputs, rtol=1e-9, atol=1e-12)
    assert len(coordinates.names()) == states.shape[-1]


def test_posterior_coordinates_are_the_textbook_parameters():
    beta = PREDICTION_TASKS["bernoulli_beta_1_1"].model  # Beta(1, 1)
    np.testing.assert_allclose(beta.posterior_coordinates(np.array([3.0, 1.0])), np.log([4, 2]))
    gamma = PREDICTION_TASKS["exponential_gamma_1_1"].model  # Gamma(1, 1): (log(1+n), log(1+Σx))
    np.testing.assert_allclose(
        gamma.posterior_coordinates(np.array([2.0, 19000.0])), np.log([3, 19001])
    )
    normal = PREDICTION_TASKS["gaussian_known_var"].model  # μ ~ N(0, 1), σ = 1
    precision, mean = normal.posterior_coordinates(np.array([3.0, 6.0]))
    assert (np.exp(precision), mean) == pytest.approx((4.0, 1.5))
    ng = PREDICTION_TASKS["gaussian_normal_gamma_1"].model  # NG(0, 1, 2, 1)
    log_kappa, mu, log_beta = ng.posterior_coordinates(np.array([2.0, 2.0, 4.0]))
    # κ = 3, μ = 2/3, β = 1 + (4 − 3 (2/3)²)/2 = 7/3 (Murphy 2007, eqs. 86–89)
    assert (np.exp(log_kappa), mu, np.exp(log_beta)) == pytest.approx((3.0, 2 / 3, 7 / 3))


def test_statistics_coordinates_are_the_identity():
    task, states = _prediction_states("exponential_gamma_1_1")
    coordinates = Coordinates("statistics", (task.model,))
    np.testing.assert_array_equal(coordinates.forward(states), states)
    np.testing.assert_array_equal(coordinates.inverse(states), states)


@pytest.mark.parametrize("name", sorted(BANDIT_TASKS))
def test_bandit_coordinates_are_per_arm_and_keep_the_gittins_policy(name):
    task = BANDIT_TASKS[name]
    gittins = GittinsAgent(task)
    episodes = task.sample(np.random.default_rng(1), 100, 20)
    game = play(gittins, task, episodes, evaluation_uniforms(100, 20, 1))
    coordinates = Coordinates("posterior", task.arm_models)
    z = coordinates.forward(game.states)
    np.testing.assert_allclose(coordinates.inverse(z), game.states, rtol=1e-9, atol=1e-8)
    names = coordinates.names()
    assert len(names) == 4 and names[0] == names[2]  # the same parameter of arm 0 and arm 1

    def emit(states):
        flat = task.arms.valid_statistics(states.reshape(-1, 4), 20)
        return gittins.probabilities(flat).reshape(*states.shape[:-1], 2)

    moved = in_coordinates(Machine(game.states, game.probabilities, emit), coordinates)
    np.testing.assert_array_equal(moved.emit(moved.states), game.probabilities)


def test_bandit_arm_models_hold_the_arm_priors():
    bernoulli = BANDIT_TASKS["bernoulli_bandit_beta_1_1_vs_3_3"].arm_models
    assert [(m.a, m.b) for m in bernoulli] == [(1.0, 1.0), (3.0, 3.0)]
    gaussian = BANDIT_TASKS["gaussian_bandit_sigma_05"].arm_models
    assert [(m.mu0, m.s0, m.sigma) for m in gaussian] == [(0.0, 1.0, 0.5)] * 2


def test_unknown_coordinates_and_wrong_dimensions_are_refused():
    model = PREDICTION_TASKS["bernoulli_beta_1_1"].model
    with pytest.raises(ValueError, match="unknown coordinates 'logit'"):
        Coordinates("logit", (model,))
    with pytest.raises(ValueError, match="dimension 3, expected 2"):
        Coordinates("posterior", (model,)).forward(np.zeros((4, 3)))


def test_variants_resolve_components_and_share_fits():
    main = Variant("statistics", "n", "projection")
    assert main.components(n=2, state_dim=64) == 2
    assert Variant("statistics", "4n", "projection").components(2, 64) == 8
    assert Variant("statistics", "40n", "projection").components(2, 64) == 64
    assert Variant("statistics", "all", "state").components(4, 512) == 512
    state = Variant("statistics", "all", "state")
    assert main.fit_key("rnn_to_opt", 2) != state.fit_key("rnn_to_opt", 64)
    # Into the full state, Opt → RNN does not depend on m.
    assert state.fit_key("opt_to_rnn", 64) == Variant("statistics", "n", "state").fit_key(
        "opt_to_rnn", 2
    )
    for bad in [
        ("raw", "n", "projection"),
        ("statistics", "0n", "projection"),
        ("statistics", "n", "pcs"),
        ("statistics", "2", "projection"),
    ]:
        with pytest.raises(ValueError):
            Variant(*bad)
