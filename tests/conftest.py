"""Shared fixtures."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest
import torch

from metabayes.config import load_config
from metabayes.settings import Settings
from metabayes.training.prediction import PredictionSettings

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULTS = Settings.from_config(load_config([os.path.join(REPO, "config.yaml")]))
"""The settings of config.yaml, where every setting gets its value."""
EMBEDDING = DEFAULTS.structure["prediction"].embedding
"""ϕ's settings for prediction tasks in config.yaml; tests replace what they change."""
SNAKEMAKE = os.path.join(os.path.dirname(sys.executable), "snakemake")


def snakemake_command(*args, workdir) -> list[str]:
    """The workflow's Snakemake on ``workdir``; run it from the repository (cwd=REPO) so that
    its workflow profile, profiles/default, applies as it does for users."""
    return [SNAKEMAKE, "-s", os.path.join(REPO, "Snakefile"), "-d", str(workdir), *args]


def snakemake(*args, workdir, check=True, env=None):
    """Run :func:`snakemake_command` to completion; fail with its output unless it succeeds."""
    command = snakemake_command(*args, workdir=workdir)
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=900, env=env)
    if check and result.returncode != 0:
        raise AssertionError(result.stdout + result.stderr)
    return result


SLURM = os.path.join(REPO, "profiles", "slurm")


@pytest.fixture(scope="session")
def paper_plan(tmp_path_factory) -> str:
    """The output of a paper-scale dry run through the SLURM profile (no cluster needed), with
    the account and partition set the documented way."""
    env = {**os.environ, "SBATCH_ACCOUNT": "proj123", "SBATCH_PARTITION": "short"}
    workdir = tmp_path_factory.mktemp("paper")
    return snakemake("-n", "--profile", SLURM, workdir=workdir, env=env).stdout


def rule_blocks() -> dict[str, str]:
    """The text of every rule in rules/*.smk, by rule name."""
    blocks = {}
    for name in sorted(os.listdir(os.path.join(REPO, "rules"))):
        with open(os.path.join(REPO, "rules", name)) as f:
            for block in re.split(r"^(?=rule )", f.read(), flags=re.M)[1:]:
                blocks[re.match(r"rule (\w+):", block)[1]] = block
    return blocks


def planned_jobs(output: str) -> dict[str, int]:
    """Parse the job-count table of a dry run."""
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", output, re.MULTILINE)}


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
    init="torch",
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
