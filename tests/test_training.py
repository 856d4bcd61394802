"""Training smoke tests: finite, bitwise repeatable, stops on divergence; checkpoint files."""

from __future__ import annotations

import math
import os
import platform
import subprocess
import sys
from dataclasses import replace
from functools import partial

import numpy as np
import pytest
import torch

from metabayes.agents import RNNAgent, rollout
from metabayes.analysis.behaviour import behaviour_table
from metabayes.config import load_config
from metabayes.settings import Settings
from metabayes.simulate import evaluation_episodes, prediction_trace
from metabayes.tasks import PREDICTION_TASKS
from metabayes.training.checkpoints import Checkpoints, checkpoint_label, checkpoint_schedule
from metabayes.training.common import TrainingDiverged
from metabayes.training.prediction import build_predictor, train_predictor

from .conftest import REPO, assert_same_parameters
from .conftest import TINY_SETTINGS as SETTINGS


@pytest.mark.parametrize("name", sorted(PREDICTION_TASKS))
def test_few_steps_are_finite_and_bitwise_repeatable(name):
    task = PREDICTION_TASKS[name]
    first, rows = train_predictor(task, SETTINGS, seed=3)
    second, _ = train_predictor(task, SETTINGS, seed=3)
    assert all(math.isfinite(row["loss"]) for row in rows)
    assert first.updates == second.updates == [0, 1, 2, 6]
    assert_same_parameters(first, second)
    # Training changed the parameters, and another seed gives another network.
    assert not torch.equal(first.states[0]["readout.weight"], first.states[6]["readout.weight"])
    other, _ = train_predictor(task, SETTINGS, seed=4)
    assert not torch.equal(first.states[6]["readout.weight"], other.states[6]["readout.weight"])


def test_divergence_stops_with_task_seed_and_update():
    task = PREDICTION_TASKS["gaussian_known_var"]
    diverging = replace(SETTINGS, learning_rate=1e30, grad_clip=1e30, n_updates=50)
    with pytest.raises(
        TrainingDiverged, match=r"gaussian_known_var, seed 5: loss is .* at update \d+"
    ):
        train_predictor(task, diverging, seed=5)


def test_training_reduces_loss():
    task = PREDICTION_TASKS["bernoulli_beta_1_1"]
    settings = replace(
        SETTINGS,
        hidden_size=16,
        episode_length=20,
        batch_size=64,
        n_updates=300,
        learning_rate=3e-3,
        log_every=50,
    )
    _, rows = train_predictor(task, settings, seed=0)
    assert rows[-1]["loss"] < rows[0]["loss"] - 0.5
    assert abs(rows[-1]["batch_excess_loss"]) < 0.5


_PAGE_FAULTS_PER_UPDATE = """
import resource, sys, torch
from metabayes.rng import numpy_rng
from metabayes.stack import StackedMetaLearner
from metabayes.tasks.bandit import BANDIT_TASKS, action_uniforms
from metabayes.training.bandit import actor_critic_loss, build_bandit_agent, play_batch
from metabayes.training.common import gradient_step, reuse_freed_memory

torch.set_num_threads(1)
if sys.argv[1] == "reuse":
    assert reuse_freed_memory()
task = BANDIT_TASKS["bernoulli_bandit_beta_1_1"]
stack = StackedMetaLearner([build_bandit_agent(task, 256)])
optimiser = torch.optim.Adam(stack.parameters(), lr=1e-3)
episodes = task.sample(numpy_rng(0, "data", 1), 128, 20)
uniforms = action_uniforms(numpy_rng(0, "actions", 1), 128, 20)


def update():
    game = play_batch(stack, [episodes], [uniforms])
    gradient_step(optimiser, actor_critic_loss(game, task.gamma, 0.05, 0.5), stack, 1.0)


for _ in range(6):  # the heap grows to its size over the first updates
    update()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    update()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 20)
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mallopt")
def test_a_bandit_update_reuses_its_freed_buffers_without_page_faults():
    """Updates 7–26 at the paper's bandit shapes (N = 256, 128 episodes of 20 steps): 0.4–92
    page faults per update with the setting, 790–1 600 without (10 MB of gate gradients
    among the blocks), in four fresh processes each. Each is measured in a process of its
    own, as a training job runs; over a window of 4 updates the count jumped by hundreds
    (the heap still growing), which made an earlier form of this test flaky."""

    def faults(mode: str) -> float:
        command = [sys.executable, "-c", _PAGE_FAULTS_PER_UPDATE, mode]
        env = {**os.environ, "PYTHONPATH": os.path.join(REPO, "src")}
        return float(subprocess.run(command, env=env, check=True, capture_output=True).stdout)

    reuse = faults("reuse")
    assert reuse < 200
    assert faults("default") > 2 * reuse


def test_checkpoint_schedule_is_log_spaced_with_init_and_final():
    schedule = checkpoint_schedule(20000, 20)
    assert schedule[0] == 0 and schedule[-1] == 20000
    assert len(schedule) == 20
    # Rounding to whole updates distorts only the first few points of the log grid.
    ratios = np.diff(np.log([u for u in schedule if u >= 20]))
    assert np.allclose(ratios, np.log(20000) / 18, rtol=0.05)
    assert checkpoint_schedule(3, 10) == [0, 1, 2, 3]
    assert [checkpoint_label(u, 20) for u in (0, 5, 20)] == ["init", "update_5", "final"]
    with pytest.raises(ValueError):
        checkpoint_schedule(10, 1)


def test_checkpoint_file_round_trip(tmp_path):
    task = PREDICTION_TASKS["categorical_dir_1_1_1"]
    checkpoints, _ = train_predictor(task, SETTINGS, seed=1)
    path = tmp_path / "checkpoints.pt"
    checkpoints.save(path)
    loaded = Checkpoints.load(path)
    assert (loaded.task, loaded.seed, loaded.settings) == (task.name, 1, checkpoints.settings)
    assert loaded.updates == checkpoints.updates
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize("name", ["categorical_dir_05x5", "gaussian_normal_gamma_2"])
def test_rnn_stepwise_rollout_equals_full_unroll(name, rng):
    """The agent interface (one step at a time, state (c, h)) computes what training unrolls."""
    task = PREDICTION_TASKS[name]
    net = build_predictor(task, 8)
    episodes = task.sample(rng, 7, 5)
    outputs, states = rollout(RNNAgent(net, task.model.family), episodes.inputs)
    with torch.no_grad():
        raw, _, (h, c) = net(torch.as_tensor(episodes.inputs, dtype=torch.float32))
        expected = task.model.family.params(raw.double()).numpy()
    np.testing.assert_allclose(outputs, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(states[:, -1], torch.cat([c[0], h[0]], -1).numpy(), atol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize(
    "name", ["bernoulli_beta_1_1", "categorical_dir_1_1_1", "gaussian_known_var"]
)
def test_quick_training_approaches_the_bayes_optimal_predictor(name):
    """With the quick preset's training settings, eq. 2 falls by over 100× to below 0.01."""
    task = PREDICTION_TASKS[name]
    quick = load_config(
        [os.path.join(REPO, "config.yaml"), os.path.join(REPO, "presets", "quick.yaml")]
    )
    settings = Settings.from_config(quick).training["prediction"]
    settings = replace(settings, n_checkpoints=2, log_every=settings.n_updates)
    checkpoints, _ = train_predictor(task, settings, seed=0)
    episodes = evaluation_episodes(task, 500, 20, seed=2020)
    trace = prediction_trace(task, checkpoints, episodes, partial(build_predictor, task, 32))
    d = behaviour_table(trace, task.model.family).set_index("checkpoint").kl_sum
    assert d["final"] < 0.01
    assert d["final"] < d["init"] / 100
