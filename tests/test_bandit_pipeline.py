"""Bandit traces, Gittins-table files and eq. 3: layout, consistency, hand-computed values."""

from __future__ import annotations

from functools import partial

import h5py
import numpy as np
import pytest

from metabayes.agents import rollout
from metabayes.analysis.behaviour import (
    bandit_behaviour_table,
    bandit_dissimilarity,
    bandit_performance,
)
from metabayes.bandits.agents import GittinsAgent
from metabayes.bandits.games import play
from metabayes.bandits.index_tables import (
    make_index_tables,
    read_index_tables,
    read_reference_values,
)
from metabayes.simulate import bandit_trace, evaluation_episodes, evaluation_uniforms
from metabayes.tasks.bandit import BANDIT_TASKS, BanditEpisodes
from metabayes.traces import AgentTrace, read_trace, write_trace
from metabayes.training.bandit import build_bandit_agent, train_bandit_agent

from .test_bandit_training import SETTINGS

K, T = 40, 6


@pytest.fixture(scope="module")
def trace():
    task = BANDIT_TASKS["bernoulli_bandit_beta_1_1_vs_3_3"]
    checkpoints, _ = train_bandit_agent(task, SETTINGS, seed=4)
    episodes = evaluation_episodes(task, K, T, seed=7)
    uniforms = evaluation_uniforms(K, T, seed=7)
    build = partial(build_bandit_agent, task, 16)
    result = bandit_trace(task, checkpoints, episodes, uniforms, GittinsAgent(task), build)
    result.attrs = {"kind": "bandit", "config_hash": "abc", "gamma": task.gamma}
    return result


def test_every_agent_plays_the_same_tables_with_the_same_uniforms(trace):
    task = BANDIT_TASKS[trace.task]
    for agent in [trace.opt, *trace.baselines.values(), *trace.rnn.values()]:
        # Each agent's rewards are read from the shared table at the arms it pulled.
        table = np.take_along_axis(trace.reward_table, agent.actions[..., None], axis=2)
        np.testing.assert_array_equal(agent.rewards, table[..., 0])
        np.testing.assert_array_equal(agent.actions, trace.uniforms < agent.outputs[..., 1])
        np.testing.assert_array_equal(agent.inputs, task.inputs(agent.actions, agent.rewards))
    episodes_opt = play(GittinsAgent(task), task, _episodes(trace), trace.uniforms)
    np.testing.assert_array_equal(trace.opt.actions, episodes_opt.actions)


def test_opt_is_fed_the_meta_learners_own_stream(trace):
    gittins = GittinsAgent(BANDIT_TASKS[trace.task])
    for rnn in trace.rnn.values():
        outputs, states = rollout(gittins, rnn.inputs)
        np.testing.assert_array_equal(rnn.opt.outputs, outputs)
        np.testing.assert_array_equal(rnn.opt.states, states)
        assert rnn.values.shape == (K, T) and np.isfinite(rnn.values).all()


def test_bandit_trace_round_trip(tmp_path, trace):
    path = tmp_path / "t.h5"
    write_trace(path, trace)
    loaded = read_trace(path)
    assert loaded.labels == ["init", "update_1", "final"]
    assert sorted(loaded.baselines) == ["dp", "random"]
    assert loaded.observations is None and loaded.inputs is None
    np.testing.assert_array_equal(loaded.reward_table, trace.reward_table)
    np.testing.assert_array_equal(loaded.uniforms, trace.uniforms)
    for name in ("inputs", "actions", "rewards", "outputs", "states"):
        np.testing.assert_array_equal(getattr(loaded.opt, name), getattr(trace.opt, name))
        np.testing.assert_array_equal(
            getattr(loaded.baselines["dp"], name), getattr(trace.baselines["dp"], name)
        )
    final, original = loaded.rnn["final"], trace.rnn["final"]
    np.testing.assert_array_equal(final.actions, original.actions)
    np.testing.assert_array_equal(final.opt.states, original.opt.states)
    np.testing.assert_allclose(final.states, original.states, rtol=1e-6)
    assert final.states.shape == (K, T, 32) and final.opt.states.shape == (K, T, 4)
    # LSTM states are kept for init and final only; Opt's states on every stream.
    assert loaded.rnn["init"].states.shape == (K, T, 32)
    assert loaded.rnn["update_1"].states is None
    assert loaded.rnn["update_1"].opt.states.shape == (K, T, 4)
    assert loaded.opt.state_names == ("successes_0", "failures_0", "successes_1", "failures_1")
    with h5py.File(path) as f:
        assert f["rnn/final/actions"].dtype == np.int8


def test_eq3_hand_computed():
    opt = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    rnn = np.array([[0.0, 0.0, 1.0], [1.0, 1.0, 1.0]])
    # Per-episode gaps Σ_t: 1 and −2; mean −0.5; |·| = 0.5; sd of (1, −2) is 2.1213.
    d, se = bandit_dissimilarity(opt, rnn)
    assert d == pytest.approx(0.5)
    assert se == pytest.approx(np.std([1.0, -2.0], ddof=1) / np.sqrt(2))
    assert bandit_dissimilarity(opt, opt)[0] == 0.0


def test_returns_and_regret_hand_computed():
    theta = np.array([[0.2, 0.7], [0.5, 0.1]])
    agent = AgentTrace(
        outputs=np.zeros((2, 2, 2)),
        states=np.zeros((2, 2, 4)),
        actions=np.array([[0, 1], [0, 0]]),
        rewards=np.array([[1.0, 1.0], [0.0, 1.0]]),
    )
    result = bandit_performance(agent, theta, gamma=0.5)
    assert result["return"] == pytest.approx(((1 + 0.5) + (0 + 0.5)) / 2)
    assert result["return_undiscounted"] == pytest.approx(1.5)
    # Episode 1 pulls the worse arm once (0.5 short), episode 2 never.
    assert result["regret"] == pytest.approx(0.25)
    assert result["regret_discounted"] == pytest.approx(0.25)


def test_behaviour_table(trace):
    table = bandit_behaviour_table(trace, gamma=0.9)
    assert list(table.checkpoint) == ["init", "update_1", "final"]
    gaps = table[[f"reward_gap_t{t}" for t in range(1, T + 1)]].sum(axis=1)
    np.testing.assert_allclose(table.eq3, gaps.abs(), atol=1e-12)
    assert table.gittins_return.nunique() == 1 and table.config_hash.eq("abc").all()
    assert (table.rnn_regret >= 0).all() and (table.random_regret > table.gittins_regret).all()


def test_table_file_round_trip_and_checks(tmp_path):
    task = BANDIT_TASKS["bernoulli_bandit_beta_1_1_vs_3_3"]
    path = tmp_path / "g.h5"
    values = make_index_tables(path, task, episode_length=T)
    tables = read_index_tables(path, task)
    assert [t.shape for t in tables] == [(2 * T + 1, 2 * T + 1)] * 2
    # Beta(3, 3) is Beta(1, 1) after 2 successes and 2 failures: bitwise the same index.
    np.testing.assert_array_equal(tables[1][:4, :4], tables[0][2:6, 2:6])
    assert read_reference_values(path) == values
    assert values["gittins"]["discounted"] <= values["dp"]["discounted"]
    assert values["random"]["undiscounted"] == pytest.approx(T * 0.5)
    with pytest.raises(ValueError, match="not bernoulli_bandit_beta_1_1 at gamma"):
        read_index_tables(path, BANDIT_TASKS["bernoulli_bandit_beta_1_1"])


def _episodes(trace) -> BanditEpisodes:
    return BanditEpisodes(trace.theta, trace.reward_table)
