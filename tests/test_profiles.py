"""Profiles: the local defaults and the SLURM cluster profile, offline (no cluster needed)."""

from __future__ import annotations

import os
import re

import numpy as np
import pandas as pd
import pytest
import yaml

from metabayes.resources import (
    OTHER_STAGE,
    SEED_SCALING,
    STAGES,
    START_UP_S,
    compare_stage_costs,
    job_task,
    measured_needs,
    profile_requests,
    read_benchmarks,
    scale_to_seeds,
    seeds_per_task,
    stage_costs,
)

from .conftest import REPO, SLURM, planned_allocations, planned_jobs, script_rules, snakemake

PROFILES = os.path.join(REPO, "profiles")


def profile(name: str) -> dict:
    with open(os.path.join(PROFILES, name, "config.yaml")) as f:
        return yaml.safe_load(f)


@pytest.fixture(scope="module")
def rules(tmp_path_factory) -> set[str]:
    listed = snakemake("--list-rules", workdir=tmp_path_factory.mktemp("rules")).stdout
    return set(listed.split())


@pytest.fixture(scope="module")
def job_rules() -> set[str]:
    return script_rules()


def test_slurm_profile_plans_the_paper_scale_dag(paper_plan):
    jobs = planned_jobs(paper_plan)
    assert jobs["train_predictors"] == 10 and jobs["train_bandit_agent"] == 40
    assert jobs["compare_structure"] == 14 and jobs["converge"] == 14
    assert "compare_structure_variants" not in jobs and jobs["tabulate_robustness"] == 1
    # 540 with per-seed trace and structure jobs and a plot job per task; 769 also with
    # per-seed training and behaviour jobs. 106 of the main DAG (each task's behaviour
    # measured by its trace job, its Figure 3 drawn by its structural comparison) and 49 of
    # the width ablation (App. D.3, D.7).
    assert jobs["total"] == 155


def test_slurm_jobs_get_their_rules_requests_account_and_partition(paper_plan, job_rules):
    requests = profile_requests(SLURM, attempt=1)
    # Jobs of a group job are listed indented under it.
    blocks = re.findall(
        r"^( *)rule (\w+):\n(?:\1    .*\n)*?\1    resources: (.*)$", paper_plan, re.M
    )
    blocks = [(rule, resources) for _, rule, resources in blocks]
    # Target rules (all) run no code and are never submitted.
    blocks = [(rule, resources) for rule, resources in blocks if rule in job_rules]
    assert {rule for rule, _ in blocks} == job_rules
    for rule, resources in blocks:
        assert f"mem_mb={requests[rule].mem_mb}," in resources, (rule, resources)
        assert f"runtime={requests[rule].runtime_min}" in resources, (rule, resources)
        assert "slurm_account=proj123" in resources and "slurm_partition=short" in resources


def test_paper_plan_submits_fewer_allocations_than_jobs(paper_plan):
    """The end-of-run figures and tables are grouped into one SLURM job: 143 allocations for
    154 submitted jobs (97 for 105 without the width ablation)."""
    assert planned_jobs(paper_plan)["total"] == 155
    assert planned_allocations(paper_plan) == 143


def test_every_rule_named_in_a_profile_exists(rules):
    for name in os.listdir(PROFILES):
        settings = profile(name)
        for key in ("set-resources", "set-threads"):
            unknown = set(settings.get(key, {})) - rules
            assert not unknown, f"profiles/{name}: {key} names no rule: {sorted(unknown)}"


def test_every_job_rule_has_slurm_resources(job_rules):
    assert set(profile("slurm")["set-resources"]) == job_rules


def test_slurm_requests_grow_with_every_retry():
    assert profile("slurm")["retries"] >= 1
    attempts = [profile_requests(SLURM, attempt) for attempt in (1, 2, 3)]
    for rule, first in attempts[0].items():
        second, third = attempts[1][rule], attempts[2][rule]
        assert first.mem_mb < second.mem_mb < third.mem_mb, rule
        assert first.runtime_min < second.runtime_min < third.runtime_min, rule


def test_default_profile_suits_local_and_cluster_runs():
    """Snakemake applies profiles/default to every run, on top of --profile profiles/slurm:
    it must not choose an executor or resources."""
    settings = profile("default")
    assert settings["rerun-incomplete"] is True
    assert not {"executor", "jobs", "cores", "default-resources", "set-resources"} & set(settings)


def test_measured_needs_from_benchmark_files(tmp_path):
    header = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    files = {
        "train_predictor/a/seed0.tsv": "120.0\t0:02:00\t500.5\t1\t1\t1\t0\t0\t99\t119\n",
        "train_predictor/a/seed1.tsv": "180.0\t0:03:00\t480.0\t1\t1\t1\t0\t0\t99\t178\n",
        "train_predictor/b/seed0.tsv": "150.0\t0:02:30\t-\t-\t-\t-\t-\t-\t-\t-\n",
        "plot_fig4.tsv": "6.0\t0:00:06\t300.0\t1\t1\t1\t0\t0\t90\t5\n",
    }
    for name, row in files.items():
        path = tmp_path / "benchmarks" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(header + row)
    needs = measured_needs(read_benchmarks(tmp_path))
    expected = pd.DataFrame(
        {
            "jobs": [1, 3],
            "median_s": [6.0, 150.0],
            "max_s": [6.0, 180.0],
            "max_rss_mb": [300.0, 500.5],
            "core_hours": [6 / 3600, 450 / 3600],
        },
        index=pd.Index(["plot_fig4", "train_predictor"], name="rule"),
    )
    pd.testing.assert_frame_equal(needs, expected)


def test_benchmark_files_give_each_jobs_cpu_time(tmp_path):
    path = tmp_path / "benchmarks" / "converge" / "gaussian_known_var.tsv"
    path.parent.mkdir(parents=True)
    path.write_text("s\tmax_rss\tcpu_time\n20.5\t400\t19.25\n")
    rows = read_benchmarks(tmp_path)
    assert rows.to_dict("records") == [
        {
            "rule": "converge",
            "job": "converge/gaussian_known_var",
            "s": 20.5,
            "max_rss": 400.0,
            "cpu_s": 19.25,
        }
    ]
    path.write_text("s\tmax_rss\n20.5\t400\n")  # a file without the column
    assert np.isnan(read_benchmarks(tmp_path).cpu_s[0])


def test_stages_name_this_workflows_costly_rules(rules):
    staged = {rule for names in STAGES.values() for rule in names}
    earlier = {
        "train_predictor",
        "measure_behaviour",
        "collect_behaviour",
        "collect_structure",
        "compare_structure_variants",
    }
    assert set(SEED_SCALING) | {"gittins_table"} <= staged
    assert staged - earlier <= rules
    assert not earlier & rules  # rules of earlier versions only


def benchmark_rows(jobs: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"rule": r, "job": j, "s": cpu + 1, "max_rss": 1.0, "cpu_s": cpu} for r, j, cpu in jobs]
    )


def test_runs_of_two_versions_compare_stage_by_stage():
    before = benchmark_rows(
        [
            ("train_predictor", "train_predictor/bernoulli_beta_1_1/seed0", 100.0),
            ("train_predictor", "train_predictor/bernoulli_beta_1_1/seed1", 110.0),
            ("compare_structure", "compare_structure/bernoulli_beta_1_1/seed0", 10.0),
            ("compare_structure_variants", "compare_structure_variants/a/seed0", 50.0),
            ("plot_fig4", "plot_fig4", 6.0),
        ]
    )
    after = benchmark_rows(
        [
            ("plot_fig4", "plot_fig4", 4.0),
            ("train_predictors", "train_predictors/bernoulli_beta_1_1", 140.0),
            ("compare_structure", "compare_structure/bernoulli_beta_1_1", 30.0),
            ("converge", "converge/bernoulli_beta_1_1", 10.0),
        ]
    )
    costs = stage_costs(before)
    assert list(costs.index) == ["prediction training", "structural comparison", OTHER_STAGE]
    assert costs.jobs.tolist() == [2, 2, 1] and costs.cpu_s.tolist() == [210.0, 60.0, 6.0]
    assert costs.s.tolist() == [212.0, 62.0, 7.0]

    table = compare_stage_costs(before, after, labels=("before", "after"))
    assert list(table.index) == [
        "prediction training",
        "structural comparison",
        "convergence",
        OTHER_STAGE,
        "total",
    ]
    assert table[("before", "cpu_s")].tolist() == [210.0, 60.0, 0.0, 6.0, 276.0]
    assert table[("after", "jobs")].tolist() == [1, 1, 1, 1, 4]
    assert table[("", "ratio")].tolist() == [1.5, 2.0, 0.0, 1.5, 276 / 184]


def test_the_seed_scaling_names_rules_whose_benchmarks_it_reads(rules):
    assert set(SEED_SCALING) <= rules
    assert set(SEED_SCALING.values()) <= {"jobs", "runs", "stacked", "pairs"}


def test_core_hours_scaled_to_more_seeds():
    jobs = [
        ("train_bandit_agent", "train_bandit_agent/bernoulli_bandit_beta_1_1/seed0", 600.0),
        ("train_predictors", "train_predictors/bernoulli_beta_1_1", 153.0),
        ("compare_structure", "compare_structure/bernoulli_beta_1_1", 43.0),
        ("converge", "converge/bernoulli_bandit_beta_1_1", 13.0),
        ("plot_fig4", "plot_fig4", 6.0),
    ]
    benchmarks = pd.DataFrame([{"rule": r, "job": j, "s": s, "max_rss": 1.0} for r, j, s in jobs])
    scaled = scale_to_seeds(benchmarks, 1, 10, {"prediction": 5, "bandit": 2}, 1.5) * 3600
    start = START_UP_S
    assert scaled["train_bandit_agent"] == pytest.approx(6000.0)  # ten jobs instead of one
    assert scaled["train_predictors"] == pytest.approx(start + (153 - start) * 10 / 1.5)
    assert scaled["compare_structure"] == pytest.approx(start + (43 - start) * 10)
    # (10 runs × 2 checkpoints + Opt)² pairs instead of (2 + 1)²
    assert scaled["converge"] == pytest.approx(start + (13 - start) * (21 / 3) ** 2)
    assert scaled["plot_fig4"] == pytest.approx(6.0)
    # the measured run's own size gives its own cost back
    same = scale_to_seeds(benchmarks, 1, 1, {"prediction": 5, "bandit": 2}) * 3600
    pd.testing.assert_series_equal(same, benchmarks.groupby("rule").s.sum(), check_names=False)


def test_the_seeds_of_a_run_are_counted_from_its_bandit_training_jobs():
    rows = [
        ("train_bandit_agent", f"train_bandit_agent/{task}/seed{seed}")
        for task in ("bernoulli_bandit_beta_1_1", "gaussian_bandit_sigma_1")
        for seed in (0, 3, 7)
    ] + [("converge", "converge/bernoulli_bandit_beta_1_1")]
    benchmarks = pd.DataFrame([{"rule": r, "job": j, "s": 1.0, "max_rss": 1.0} for r, j in rows])
    assert seeds_per_task(benchmarks) == 3
    assert job_task("converge/bernoulli_bandit_beta_1_1") == "bernoulli_bandit_beta_1_1"
    with pytest.raises(ValueError, match="bandit training jobs"):
        seeds_per_task(benchmarks[benchmarks.rule == "converge"])
