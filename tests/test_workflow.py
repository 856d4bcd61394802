"""The workflow as users run it: planning, bad config, a tiny end-to-end run, the CLI."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pandas as pd
import pytest

from metabayes.traces import read_trace

from .conftest import REPO

SNAKEMAKE = os.path.join(os.path.dirname(sys.executable), "snakemake")


def snakemake(*args, workdir, check=True):
    command = [SNAKEMAKE, "-s", os.path.join(REPO, "Snakefile"), "-d", str(workdir), *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    if check and result.returncode != 0:
        raise AssertionError(result.stdout + result.stderr)
    return result


def planned_jobs(output: str) -> dict[str, int]:
    """Parse the job-count table of a dry run."""
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", output, re.MULTILINE)}


def test_paper_scale_plan(tmp_path):
    jobs = planned_jobs(snakemake("-n", "--cores", "2", workdir=tmp_path).stdout)
    assert jobs["train_predictor"] == 100
    assert jobs["dump_prediction_traces"] == 100
    assert jobs["measure_prediction_behaviour"] == 100
    assert jobs["collect_behaviour"] == 10


def test_bad_config_fails_before_any_job_naming_the_key(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("prediction:\n  n_update: 10\n")
    result = snakemake("-n", "--configfile", str(bad), workdir=tmp_path, check=False)
    assert result.returncode != 0
    assert "config key 'prediction.n_update' is not known" in result.stdout + result.stderr
    assert not (tmp_path / "results").exists()


def test_tiny_end_to_end_run(tmp_path):
    tiny = os.path.join(REPO, "presets", "tiny.yaml")
    snakemake("--cores", "2", "--configfile", tiny, workdir=tmp_path)
    results = tmp_path / "results"
    for task in ("bernoulli_beta_1_1", "gaussian_normal_gamma_1"):
        table = pd.read_csv(results / "behaviour" / f"{task}.csv")
        assert list(table.checkpoint) == ["init", "update_1", "update_4", "final"]
        per_step = table[[f"kl_t{t}" for t in range(1, 21)]].sum(axis=1)
        assert (table.kl_sum - per_step).abs().max() < 1e-9
        assert (table.kl_sum > 0).all()
        trace = read_trace(results / "traces" / task / "seed0.h5")
        assert trace.rnn["final"].outputs.shape[:2] == (50, 20)
        assert trace.attrs["config_hash"] and trace.attrs["code_version"]
        assert (results / "models" / task / "seed0" / "training_log.csv").exists()
    # A second run plans nothing.
    rerun = snakemake("-n", "--cores", "2", "--configfile", tiny, workdir=tmp_path)
    assert "Nothing to be done" in rerun.stdout + rerun.stderr


def test_cli_runs_each_step_without_snakemake(tmp_path):
    config = [
        "--config",
        os.path.join(REPO, "config.yaml"),
        "--config",
        os.path.join(REPO, "presets", "tiny.yaml"),
    ]
    cli = [sys.executable, "-m", "metabayes"]
    subprocess.run(
        [*cli, "train", "categorical_dir_1_1_1", "1", *config, "--out", str(tmp_path / "m")],
        check=True,
    )
    subprocess.run(
        [
            *cli,
            "trace",
            "categorical_dir_1_1_1",
            "1",
            *config,
            "--checkpoints",
            str(tmp_path / "m" / "checkpoints.pt"),
            "--out",
            str(tmp_path / "t.h5"),
        ],
        check=True,
    )
    subprocess.run(
        [
            *cli,
            "behaviour",
            "categorical_dir_1_1_1",
            str(tmp_path / "t.h5"),
            "--out",
            str(tmp_path / "b.csv"),
        ],
        check=True,
    )
    assert len(pd.read_csv(tmp_path / "b.csv")) == 4
    bad = subprocess.run(
        [*cli, "check-config", os.path.join(REPO, "config.yaml"), str(tmp_path / "b.csv")],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2


@pytest.mark.parametrize("target", ["train", "traces", "behaviour"])
def test_stage_targets_plan_only_their_stage(tmp_path, target):
    tiny = os.path.join(REPO, "presets", "tiny.yaml")
    jobs = planned_jobs(
        snakemake(target, "-n", "--cores", "1", "--configfile", tiny, workdir=tmp_path).stdout
    )
    assert jobs["train_predictor"] == 2
    assert ("dump_prediction_traces" in jobs) == (target != "train")
    assert ("collect_behaviour" in jobs) == (target == "behaviour")
