"""Shared fixtures."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

from metabayes.config import load_config
from metabayes.settings import PredictionSettings, Settings

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


TINY = os.path.join(REPO, "presets", "tiny.yaml")


@dataclass(frozen=True)
class TinyRun:
    """The tiny preset, run as by a user whose first attempt was killed part-way."""

    workdir: Path
    before: dict[str, int]
    """Every result file left by the killed run, with its modification time (ns)."""
    redone: set[str]
    """Outputs of the jobs that the second run planned."""
    replanned_jobs: int
    total_jobs: int


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> TinyRun:
    """SIGKILL the whole Snakemake process group (as a lost machine would) once the first
    traces exist, then `snakemake --unlock` and the same command again (README)."""
    workdir = tmp_path_factory.mktemp("tiny")
    args = ["--cores", "2", "--configfile", TINY]
    total_jobs = planned_jobs(snakemake("-n", *args, workdir=workdir).stdout)["total"]
    command = snakemake_command(*args, workdir=workdir)
    with open(workdir / "killed.log", "w") as log:
        process = subprocess.Popen(
            command, cwd=REPO, stdout=log, stderr=log, start_new_session=True
        )
        deadline = time.monotonic() + 300
        while not list((workdir / "results" / "traces").glob("*/seed0.h5")):
            assert process.poll() is None, (workdir / "killed.log").read_text()
            assert time.monotonic() < deadline, "no trace within 5 minutes"
            time.sleep(0.2)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    before = {
        str(path.relative_to(workdir)): path.stat().st_mtime_ns
        for path in (workdir / "results").rglob("*")
        if path.is_file() and path.parts[len(workdir.parts) + 1] not in ("logs", "benchmarks")
    }
    snakemake("--unlock", *args, workdir=workdir)
    plan = snakemake("-n", *args, workdir=workdir).stdout
    redone = {
        f.strip() for line in re.findall(r"^    output: (.*)$", plan, re.M) for f in line.split(",")
    }
    snakemake(*args, workdir=workdir)
    return TinyRun(workdir, before, redone, planned_jobs(plan)["total"], total_jobs)


def rule_blocks() -> dict[str, str]:
    """The text of every rule in rules/*.smk, by rule name; a rule derived from another
    (``use rule A as B with:``) is A's text followed by its own."""
    blocks, derived = {}, []
    for name in sorted(os.listdir(os.path.join(REPO, "rules"))):
        with open(os.path.join(REPO, "rules", name)) as f:
            for block in re.split(r"^(?=rule |use rule )", f.read(), flags=re.M)[1:]:
                use = re.match(r"use rule (\w+) as (\w+) with:", block)
                if use:
                    derived.append((use[1], use[2], block))
                else:
                    blocks[re.match(r"rule (\w+):", block)[1]] = block
    for base, name, block in derived:
        blocks[name] = blocks[base] + block
    return blocks


def planned_jobs(output: str) -> dict[str, int]:
    """Parse the job-count table of a dry run."""
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", output, re.MULTILINE)}


def script_rules() -> set[str]:
    """Rules that run code (a script), as opposed to targets that only gather inputs."""
    return {name for name, block in rule_blocks().items() if "script:" in block}


def planned_allocations(output: str) -> int:
    """SLURM jobs that a dry run through a profile with groups would submit: each group job
    once, and each job outside a group that runs code (target rules such as ``all`` are
    never submitted)."""
    scripted = script_rules()
    single = [name for name in re.findall(r"^rule (\w+):$", output, re.M) if name in scripted]
    return len(single) + len(re.findall(r"\] Group job \w+ ", output))


def _is_cluster_test(item) -> bool:
    return item.module.__name__.endswith("test_slurm_cluster")


def pytest_collection_modifyitems(items):
    """The real-cluster tests last: their run, started with the session, overlaps the rest."""
    items.sort(key=_is_cluster_test)


@pytest.fixture(scope="session", autouse=True)
def slurm_cluster_run(request, tmp_path_factory):
    """The tiny preset on the local SLURM cluster (tests/test_slurm_cluster.py), started in
    the background with the session when those tests are selected, stopped at its end."""
    if not any(_is_cluster_test(item) for item in request.session.items):
        yield None
        return
    from .test_slurm_cluster import BackgroundClusterRun

    run = BackgroundClusterRun(tmp_path_factory.mktemp("slurm"))
    run.start()
    yield run
    run.close()


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
