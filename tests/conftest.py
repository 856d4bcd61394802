"""Shared fixtures."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from metabayes.training.prediction import PredictionSettings

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(autouse=True)
def _one_thread():
    """Tests compare bitwise results; keep torch on one thread as the training jobs are."""
    torch.set_num_threads(1)


# Small training settings for smoke tests: a few updates of a few short episodes.
TINY_SETTINGS = PredictionSettings(
    hidden_size=8,
    episode_length=5,
    batch_size=4,
    n_updates=6,
    learning_rate=0.01,
    lr_schedule="cosine",
    grad_clip=1.0,
    n_checkpoints=4,
    log_every=3,
)


def assert_same_parameters(first, second) -> None:
    """Two Checkpoints hold bitwise-identical parameters at the same updates."""
    assert first.updates == second.updates
    for update in first.updates:
        for key, value in first.states[update].items():
            assert torch.equal(value, second.states[update][key]), (update, key)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)
