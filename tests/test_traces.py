"""HDF5 trace layout: round trip, attributes, atomic writes."""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from functools import partial

import numpy as np
import pytest

from metabayes.io import atomic_path
from metabayes.simulate import evaluation_episodes, prediction_trace
from metabayes.tasks import PREDICTION_TASKS
from metabayes.traces import read_trace, write_trace
from metabayes.training.prediction import build_predictor, train_predictor

from .conftest import TINY_SETTINGS


@pytest.fixture(scope="module")
def trace():
    task = PREDICTION_TASKS["exponential_gamma_5_5"]
    settings = replace(TINY_SETTINGS, hidden_size=4, episode_length=6, n_updates=5, n_checkpoints=3)
    checkpoints, _ = train_predictor(task, settings, seed=2)
    episodes = evaluation_episodes(task, 9, 6, seed=11)
    result = prediction_trace(task, checkpoints, episodes, partial(build_predictor, task, 4))
    result.attrs = {"kind": "prediction", "config": {"a": 1}, "config_hash": "abc"}
    return result


def test_round_trip(tmp_path, trace):
    path = tmp_path / "t.h5"
    write_trace(path, trace)
    loaded = read_trace(path)
    assert (loaded.task, loaded.seed) == (trace.task, trace.seed)
    assert loaded.labels == ["init", "update_1", "final"]
    np.testing.assert_array_equal(loaded.theta, trace.theta)
    np.testing.assert_array_equal(loaded.observations, trace.observations)
    np.testing.assert_array_equal(loaded.opt.outputs, trace.opt.outputs)
    np.testing.assert_array_equal(loaded.opt.states, trace.opt.states)
    for label in trace.rnn:
        np.testing.assert_array_equal(loaded.rnn[label].outputs, trace.rnn[label].outputs)
        np.testing.assert_allclose(loaded.rnn[label].states, trace.rnn[label].states, rtol=1e-6)
        assert loaded.rnn[label].update == trace.rnn[label].update
    assert loaded.opt.state_names == ("n", "sum_x")
    assert loaded.rnn["final"].outputs.shape == (9, 6, 2)
    assert loaded.rnn["final"].states.shape == (9, 6, 8)
    assert loaded.attrs["config"] == '{"a": 1}' and loaded.attrs["kind"] == "prediction"
    only_final = read_trace(path, labels=["final"])
    assert list(only_final.rnn) == ["final"]


def test_evaluation_episodes_are_fixed_by_the_evaluation_seed():
    task = PREDICTION_TASKS["bernoulli_beta_1_1"]
    a, b = evaluation_episodes(task, 5, 4, 1), evaluation_episodes(task, 5, 4, 1)
    np.testing.assert_array_equal(a.observations, b.observations)
    assert not np.array_equal(a.theta, evaluation_episodes(task, 5, 4, 2).theta)


def test_interrupted_write_leaves_no_file(tmp_path, trace):
    path = tmp_path / "t.h5"
    with pytest.raises(RuntimeError), atomic_path(path) as tmp:
        tmp.write_bytes(b"half a file")
        raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_atomic_outputs_get_ordinary_permissions(tmp_path):
    """Not the 0600 of a temporary file: others may read results on a shared cluster."""
    old = os.umask(0o022)
    try:
        with atomic_path(tmp_path / "out.csv") as tmp:
            tmp.write_text("a,b\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out.csv").stat().st_mode) == 0o644
