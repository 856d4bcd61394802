"""Machines of real agents for the structural comparison (analysis/structure_runs.py)."""

import dataclasses
import os

import numpy as np
import pytest

from metabayes import pipeline
from metabayes.agents import BayesOptimalPredictor, RNNAgent, rollout
from metabayes.analysis.structure_runs import (
    bandit_machines,
    prediction_machines,
    rnn_output_function,
)
from metabayes.bandits.agents import GittinsAgent
from metabayes.bandits.games import play
from metabayes.config import load_config
from metabayes.families import Categorical
from metabayes.rng import seeded_torch
from metabayes.settings import Settings
from metabayes.simulate import evaluation_episodes, evaluation_uniforms
from metabayes.tasks import PREDICTION_TASKS
from metabayes.tasks.bandit import BANDIT_TASKS
from metabayes.traces import AgentTrace, Trace
from metabayes.training.bandit import build_bandit_agent
from metabayes.training.prediction import build_predictor

from .conftest import REPO


def prediction_run(name="categorical_dir_1_1_1", K=60, T=8):
    """A task, a trace of two untrained networks (init, final) and Opt, and the networks."""
    task = PREDICTION_TASKS[name]
    episodes = evaluation_episodes(task, K, T, seed=5)
    nets, rnn = {}, {}
    for i, label in enumerate(("init", "final")):
        with seeded_torch(i, "init"):
            nets[label] = build_predictor(task, 8)
        outputs, states = rollout(RNNAgent(nets[label], task.model.family), episodes.inputs)
        rnn[label] = AgentTrace(outputs, states, update=i)
    outputs, states = rollout(BayesOptimalPredictor(task.model), episodes.inputs)
    trace = Trace(name, 3, episodes.theta, AgentTrace(outputs, states), rnn, attrs={})
    return task, trace, nets


def test_output_functions_reproduce_the_agents_outputs_at_their_own_states():
    task, trace, nets = prediction_run()
    opt, rnn = prediction_machines(trace, "final", nets["final"], task)
    np.testing.assert_allclose(opt.emit(opt.states), opt.outputs, atol=1e-12)
    np.testing.assert_allclose(rnn.emit(rnn.states), rnn.outputs, atol=1e-6)


def test_bandit_output_functions_reproduce_the_agents_outputs():
    task = BANDIT_TASKS["bernoulli_bandit_beta_1_1"]
    episodes = evaluation_episodes(task, 40, 6, seed=1)
    uniforms = evaluation_uniforms(40, 6, seed=1)
    with seeded_torch(0, "init"):
        net = build_bandit_agent(task, 8)
    game = play(RNNAgent(net, Categorical(2)), task, episodes, uniforms)
    emit = rnn_output_function(net, Categorical(2))
    np.testing.assert_allclose(emit(game.states), game.probabilities, atol=1e-6)
    gittins = GittinsAgent(task)
    outputs, states = rollout(gittins, game.inputs)
    rnn_trace = AgentTrace(game.probabilities, game.states, update=0)
    rnn_trace.opt = AgentTrace(outputs, states)
    trace = Trace(task.name, 0, episodes.theta, AgentTrace(outputs, states), {"init": rnn_trace})
    opt, _ = bandit_machines(trace, "init", net, gittins)
    np.testing.assert_array_equal(opt.emit(opt.states), outputs)


def test_a_robustness_table_needs_the_main_analysis_as_its_first_variant(tmp_path):
    """Variant 0 of a robustness table is the main analysis: a list that does not start with
    it is refused before any file is read."""
    settings = Settings.from_config(load_config([os.path.join(REPO, "config.yaml")]))
    structure = settings.structure_of("bernoulli_beta_1_1")
    other = dataclasses.replace(structure.variant, phi_target="state")
    assert other != structure.variant
    with pytest.raises(ValueError, match="must start with the main one"):
        pipeline.compare_structure(
            "bernoulli_beta_1_1",
            structure,
            [other, structure.variant],
            tmp_path / "missing.h5",
            tmp_path / "missing.pt",
            None,
            tmp_path / "s.csv",
            tmp_path / "s.h5",
            tmp_path / "v.csv",
        )
    assert not list(tmp_path.iterdir())
