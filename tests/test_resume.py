"""Interrupted training resumes from its last snapshot and ends with the same bits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace

import pandas as pd
import pytest
import torch
import yaml

from metabayes import pipeline
from metabayes.tasks import PREDICTION_TASKS
from metabayes.tasks.bandit import BANDIT_TASKS
from metabayes.training import bandit, prediction
from metabayes.training.checkpoints import Checkpoints
from metabayes.training.snapshots import SNAPSHOT_NAME, Snapshots

from .conftest import REPO, TINY_SETTINGS, assert_same_parameters
from .test_bandit_training import SETTINGS as BANDIT_SETTINGS


class Interrupted(Exception):
    """Stands for a kill in the in-process tests."""


def interrupt_at(monkeypatch, module, update: int) -> None:
    """Make ``module``'s training loop raise at its ``update``-th gradient step."""
    calls = {"n": 0}
    step = module.gradient_step

    def gradient_step(*args):
        calls["n"] += 1
        if calls["n"] == update:
            raise Interrupted
        step(*args)

    monkeypatch.setattr(module, "gradient_step", gradient_step)


def same_rows(first: list[dict], second: list[dict]) -> None:
    """Training-log rows equal (they hold no timings)."""
    assert first == second


PREDICTION = replace(TINY_SETTINGS, n_updates=12, n_checkpoints=5, log_every=4)


def train_prediction(snapshots=None):
    return prediction.train_predictor(
        PREDICTION_TASKS["gaussian_normal_gamma_1"], PREDICTION, 3, snapshots
    )


def train_bandit(snapshots=None):
    settings = replace(BANDIT_SETTINGS, n_updates=9, n_checkpoints=4, log_every=3)
    return bandit.train_bandit_agent(
        BANDIT_TASKS["bernoulli_bandit_beta_1_1"], settings, 2, snapshots=snapshots
    )


@pytest.mark.parametrize(
    "module, train", [(prediction, train_prediction), (bandit, train_bandit)], ids=["pred", "ban"]
)
@pytest.mark.parametrize("stop", [2, 7])
def test_a_run_interrupted_and_started_again_ends_with_the_same_bits(
    tmp_path, monkeypatch, module, train, stop
):
    reference, reference_rows = train()
    snapshots = Snapshots(tmp_path / SNAPSHOT_NAME, every_s=0)
    with monkeypatch.context() as patch:
        interrupt_at(patch, module, stop)
        with pytest.raises(Interrupted):
            train(snapshots)
    assert torch.load(tmp_path / SNAPSHOT_NAME, weights_only=True)["update"] == stop - 1

    resumed, resumed_rows = train(Snapshots(tmp_path / SNAPSHOT_NAME, every_s=0))
    assert_same_parameters(reference, resumed)
    same_rows(reference_rows, resumed_rows)


def test_a_snapshot_of_other_settings_is_ignored(tmp_path, monkeypatch, caplog):
    path = tmp_path / SNAPSHOT_NAME
    with monkeypatch.context() as patch:
        interrupt_at(patch, prediction, 9)
        with pytest.raises(Interrupted):
            prediction.train_predictor(
                PREDICTION_TASKS["gaussian_normal_gamma_1"],
                replace(PREDICTION, learning_rate=0.02),
                3,
                Snapshots(path, every_s=0),
            )
    reference, _ = train_prediction()
    resumed, _ = train_prediction(Snapshots(path, every_s=0))
    assert_same_parameters(reference, resumed)
    assert "ignoring snapshot" in caplog.text and "learning_rate" in caplog.text


def test_the_snapshot_is_removed_once_the_outputs_are_written(tmp_path):
    outputs = [tmp_path / f"seed{seed}" for seed in (0, 1)]
    pipeline.train(
        "bernoulli_beta_1_1",
        [0, 1],
        TINY_SETTINGS,
        None,
        [out / "checkpoints.pt" for out in outputs],
        [out / "training_log.csv" for out in outputs],
        snapshot_every_s=0,
    )
    assert all((out / "checkpoints.pt").exists() for out in outputs)
    assert not any((out / SNAPSHOT_NAME).exists() for out in outputs)


def test_killed_training_process_resumes_from_its_snapshot(tmp_path):
    """SIGKILL a real `python -m metabayes train` mid-run; the restart resumes, same bits."""
    config = tmp_path / "config.yaml"
    n_updates = 800  # a few seconds: killed ≈ 0.7 s in (first snapshot + 0.5 s), far from done
    config.write_text(
        yaml.safe_dump(
            {
                "tasks": ["bernoulli_beta_1_1"],
                "prediction": {"n_updates": n_updates, "batch_size": 16, "log_every": 500},
            }
        )
    )
    out = tmp_path / "run"
    command = [sys.executable, "-m", "metabayes", "train", "bernoulli_beta_1_1", "0"]
    command += ["--config", os.path.join(REPO, "config.yaml"), "--config", str(config)]
    command += ["--out", str(out), "--snapshot-every", "0.2"]
    env = {**os.environ, "PYTHONPATH": os.path.join(REPO, "src")}

    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (out / SNAPSHOT_NAME).exists():
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline, "no snapshot within 2 minutes"
        time.sleep(0.05)
    time.sleep(0.5)
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed_at = torch.load(out / SNAPSHOT_NAME, weights_only=True)["update"]
    assert 0 < killed_at < n_updates, "the run finished before it could be killed"
    assert not (out / "checkpoints.pt").exists()

    restarted = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert restarted.returncode == 0, restarted.stderr
    assert f"after update {killed_at}" in restarted.stderr
    assert not (out / SNAPSHOT_NAME).exists()

    clean = tmp_path / "clean"
    command[command.index("--out") + 1] = str(clean)
    subprocess.run(command, env=env, capture_output=True, check=True, timeout=300)
    assert_same_parameters(
        Checkpoints.load(clean / "checkpoints.pt"), Checkpoints.load(out / "checkpoints.pt")
    )
    logs = [pd.read_csv(d / "training_log.csv") for d in (clean, out)]
    pd.testing.assert_frame_equal(*logs)
