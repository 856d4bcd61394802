"""The workflow as users run it: planning, bad config, a tiny end-to-end run, the CLI."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metabayes.analysis.structure import split_episodes
from metabayes.bandits.games import discounted_return
from metabayes.bandits.index_tables import read_reference_values
from metabayes.config import load_config
from metabayes.io import file_digest
from metabayes.traces import read_trace
from metabayes.training.checkpoints import Checkpoints

from .conftest import REPO, TINY, planned_jobs, snakemake

CLI = [sys.executable, "-m", "metabayes"]
TINY_TASKS = [
    "categorical_dir_1_1_1",
    "gaussian_normal_gamma_1",
    "bernoulli_beta_1_1",
    "bernoulli_bandit_beta_1_1",
]
TINY_CONFIG = [
    "--config",
    os.path.join(REPO, "config.yaml"),
    "--config",
    os.path.join(REPO, "presets", "tiny.yaml"),
]


PLAN_ENTRY = re.compile(r"\n *rule ")
"""Where a job's entry starts in a dry run's output (indented within a group job)."""


def test_paper_scale_plan(paper_plan):
    """10 prediction and 4 bandit tasks × 10 seeds; the Gittins tables come first."""
    jobs = planned_jobs(paper_plan)
    assert jobs["train_predictors"] == 10
    assert jobs["dump_prediction_traces"] == 10  # one job per task, behaviour included
    assert jobs["gittins_table"] == 4
    assert jobs["train_bandit_agent"] == 40
    assert jobs["dump_bandit_traces"] == 4
    assert "measure_behaviour" not in jobs  # measured by the trace jobs
    assert jobs["compare_structure"] == 14  # every variant and seed, the task's Figure 3
    assert jobs["tabulate_robustness"] == 1
    assert jobs["converge"] == 14  # with its figure
    for rule in (
        "tabulate_fig7",
        "plot_fig3",
        "plot_fig4",
        "write_claims",
        "plot_fig2",
        "generalisation_examples",
        "plot_fig1",
    ):
        assert jobs[rule] == 1
    # The width ablation: 3 prediction tasks × 5 widths (one job per task and width, all
    # seeds), the bandit × 4 widths × 3 seeds; the main width's runs are the main runs.
    assert jobs["train_predictors_at_width"] == 15
    assert jobs["dump_prediction_traces_at_width"] == 15
    assert jobs["train_bandit_agent_at_width"] == 12
    assert jobs["dump_bandit_traces_at_width"] == 4
    for rule in ("tabulate_ablation", "plot_memory", "plot_width"):
        assert jobs[rule] == 1
    # Every bandit training, trace and structure job reads its task's table file.
    for rule, count in (
        ("train_bandit_agent", 40),
        ("dump_bandit_traces", 4),
        ("train_bandit_agent_at_width", 12),
        ("dump_bandit_traces_at_width", 4),
    ):
        blocks = [b for b in PLAN_ENTRY.split(paper_plan) if b.startswith(f"{rule}:")]
        assert len(blocks) == count
        assert all(re.search(r"input: .*results/gittins/\w+\.h5", b) for b in blocks)
    blocks = [b for b in PLAN_ENTRY.split(paper_plan) if b.startswith("compare_structure:")]
    reads_tables = [bool(re.search(r"input: .*results/gittins/\w+\.h5", b)) for b in blocks]
    assert sum(reads_tables) == 4


def test_bad_config_fails_before_any_job_naming_the_key(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("prediction:\n  n_update: 10\n")
    result = snakemake("-n", "--configfile", str(bad), workdir=tmp_path, check=False)
    assert result.returncode != 0
    assert "config key 'prediction.n_update' is not known" in result.stdout + result.stderr
    assert not (tmp_path / "results").exists()


def test_a_failing_job_writes_its_traceback_to_its_log(tmp_path):
    """A job script logs to its log file (setup_logging(snakemake.log[0])); when it dies of an
    exception, the traceback is in that file as well as on the console."""
    log_file = tmp_path / "job.log"
    code = (
        "from metabayes import pipeline\n"
        f"pipeline.setup_logging({str(log_file)!r})\n"
        "def converge():\n"
        "    raise ValueError('the traces disagree')\n"
        "converge()\n"
    )
    env = {**os.environ, "PYTHONPATH": os.path.join(REPO, "src")}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 1
    logged = log_file.read_text()
    for text in (logged, result.stderr):
        assert "Traceback (most recent call last)" in text
        assert "in converge" in text and "ValueError: the traces disagree" in text


def test_every_job_script_logs_to_its_log_file_before_working():
    for script in Path(REPO, "workflow", "scripts").glob("*.py"):
        body = ast.parse(script.read_text()).body
        work = [
            node
            for node in body
            if not isinstance(node, ast.Import | ast.ImportFrom)
            and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
        ]
        assert ast.unparse(work[0]) == "pipeline.setup_logging(snakemake.log[0])", script.name


def test_interrupted_run_completes_without_redoing_finished_work(tiny_run):
    assert tiny_run.before, "the killed run had finished nothing"
    kept = {path: mtime for path, mtime in tiny_run.before.items() if path not in tiny_run.redone}
    assert kept, "the second run redid every finished job"
    assert 0 < tiny_run.replanned_jobs < tiny_run.total_jobs
    for path, mtime in kept.items():
        assert (tiny_run.workdir / path).stat().st_mtime_ns == mtime, f"{path} was rewritten"


@pytest.mark.slow
def test_two_tiny_runs_write_identical_files(tiny_run, tmp_path):
    """A fresh run of the same config gives every result file bit for bit (the first run was
    killed part-way and resumed): checkpoints, HDF5 files, tables and figures."""
    snakemake("--cores", "2", "--configfile", TINY, workdir=tmp_path)
    manifests = [d / "results" / "manifest.sha256" for d in (tiny_run.workdir, tmp_path)]
    assert manifests[0].read_text() == manifests[1].read_text()


def test_a_complete_run_plans_nothing(tiny_run):
    rerun = snakemake("-n", "--cores", "2", "--configfile", TINY, workdir=tiny_run.workdir)
    assert "Nothing to be done" in rerun.stdout + rerun.stderr


def test_tiny_end_to_end_run(tiny_run):
    results = tiny_run.workdir / "results"
    for task in ("categorical_dir_1_1_1", "gaussian_normal_gamma_1"):
        table = pd.read_csv(results / "behaviour" / f"{task}.csv")
        assert list(table.checkpoint) == ["init", "update_1", "update_4", "final"]
        per_step = table[[f"kl_t{t}" for t in range(1, 21)]].sum(axis=1)
        assert (table.kl_sum - per_step).abs().max() < 1e-9
        assert (table.kl_sum > 0).all()
        trace = read_trace(results / "traces" / task / "seed0.h5")
        assert trace.rnn["final"].outputs.shape[:2] == (50, 20)
        assert trace.attrs["config_hash"] and trace.attrs["code_version"]
        assert (results / "models" / task / "seed0" / "training_log.csv").exists()
    table = pd.read_csv(results / "behaviour" / "bernoulli_bandit_beta_1_1.csv")
    assert list(table.checkpoint) == ["init", "update_1", "final"]
    gaps = table[[f"reward_gap_t{t}" for t in range(1, 21)]].sum(axis=1)
    assert (table.eq3 - gaps.abs()).abs().max() < 1e-9
    # The reference agents' Monte Carlo returns agree with the exact values in the table file,
    # within 4 standard errors.
    values = read_reference_values(results / "gittins" / "bernoulli_bandit_beta_1_1.h5")
    trace = read_trace(results / "traces" / "bernoulli_bandit_beta_1_1" / "seed0.h5")
    for agent, played in [("gittins", trace.opt), *trace.baselines.items()]:
        returns = discounted_return(played.rewards, 0.9)
        error = table[f"{agent}_return"].iloc[0] - values[agent]["discounted"]
        assert abs(error) < 4 * returns.std() / np.sqrt(len(returns))
    assert trace.rnn["final"].opt.states.shape == (50, 20, 4)
    # The Gittins agent fed the meta-learner's stream counts that stream's pulls.
    np.testing.assert_array_equal(
        trace.rnn["final"].opt.states[:, -1].reshape(50, 2, 2).sum(-1),
        np.eye(2)[trace.rnn["final"].actions[:, :-1]].sum(1),
    )
    # The structural comparison, its numbers, figures and claims.
    for task in ("categorical_dir_1_1_1", "gaussian_normal_gamma_1", "bernoulli_bandit_beta_1_1"):
        structure = pd.read_csv(results / "structure" / f"{task}.csv")
        assert len(structure) == 4 and structure.d_s.notna().all() and structure.d_o.notna().all()
        assert (structure.n_components == (3 if "bandit" not in task else 4)).all()
    fig7 = pd.read_csv(results / "fig7.csv")
    assert len(fig7) == 4 * 5 * 2 and (fig7.n_seeds == 1).all()
    assert r"\toprule" in (results / "fig7.tex").read_text()
    claims = (results / "claims.md").read_text()
    assert claims.count("\n## ") == 10 and "## 7. All runs converge" in claims
    assert "## 8. Reduced-memory meta-learners" in claims
    # The robustness stage: every run under the main analysis and each configured variant.
    config = load_config([os.path.join(REPO, "config.yaml"), TINY])
    n_variants = 1 + len(config["structure"]["variants"])
    variants = pd.read_csv(results / "robustness" / "bernoulli_bandit_beta_1_1" / "seed0.csv")
    assert sorted(set(variants.variant)) == list(range(n_variants))
    assert len(variants) == n_variants * 4 and variants.d_o_se.notna().all()
    main = variants[variants.variant == 0].drop(columns="variant").reset_index(drop=True)
    structure = pd.read_csv(results / "structure" / "bernoulli_bandit_beta_1_1.csv")
    pd.testing.assert_frame_equal(main, structure)  # variant 0 is the main analysis
    assert (variants[variants.rnn_components == "all"].n_rnn_components == 32).all()  # 2N
    robustness = pd.read_csv(results / "robustness.csv")
    assert set(robustness.claim) == {3, 4, 5, 6}
    assert len(robustness) == n_variants * (3 * 4 + 1)  # claims 3–5 on 4 tasks, 6 on 1 bandit
    text = (results / "robustness.md").read_text()
    assert text.count("\n## ") == 4 and "under the main analysis" in text
    # The manifest: every result file but logs and timings, each with its digest.
    lines = (results / "manifest.sha256").read_text().splitlines()
    listed = dict(reversed(line.split("  ", 1)) for line in lines)
    assert "results/models/bernoulli_beta_1_1/seed0/checkpoints.pt" in listed
    assert "results/fig4.pdf" in listed and "results/robustness.md" in listed
    assert not any(part in ("logs", "benchmarks") for p in listed for part in p.split("/"))
    for path, digest in listed.items():
        assert file_digest(tiny_run.workdir / path) == digest, path
    # Convergence: per task the distances to Opt, the file and the supplementary figure.
    for task in TINY_TASKS:
        runs = pd.read_csv(results / "convergence" / f"{task}.csv")
        assert len(runs) == (3 if task == "bernoulli_bandit_beta_1_1" else 4)
        assert (runs.distance_to_opt >= 0).all() and runs.code_version.notna().all()
        assert (results / "convergence" / f"{task}.pdf").stat().st_size > 10_000
    # Figure 3 of every task, final and untrained (fig3_all).
    for task in TINY_TASKS:
        assert (results / "fig3" / f"{task}.pdf").stat().st_size > 10_000
    # One cell of the width ablation: Bernoulli at N = 2, trained, traced and measured under
    # its own paths; its main width (32) is the main run, not trained again.
    cell = results / "ablation" / "width2"
    checkpoints = Checkpoints.load(
        cell / "models" / "bernoulli_beta_1_1" / "seed0" / "checkpoints.pt"
    )
    assert checkpoints.settings["hidden_size"] == 2
    assert read_trace(cell / "traces" / "bernoulli_beta_1_1" / "seed0.h5").rnn[
        "final"
    ].states.shape == (50, 20, 4)  # (c, h) of 2 units
    assert not (results / "ablation" / "width32").exists()
    memory = pd.read_csv(results / "memory.csv")
    assert list(memory.width) == [2, 32] and list(memory.main) == [False, True]
    ablated = pd.read_csv(cell / "behaviour" / "bernoulli_beta_1_1.csv")
    assert memory.final.iloc[0] == ablated.kl_sum[ablated.checkpoint == "final"].iloc[0]
    main = pd.read_csv(results / "behaviour" / "bernoulli_beta_1_1.csv")
    assert memory.final.iloc[1] == main.kl_sum[main.checkpoint == "final"].iloc[0]
    assert (memory.floor == main.constant_kl_sum.iloc[0]).all() and (memory.floor > 0).all()
    speed = pd.read_csv(results / "width.csv")
    assert list(speed.width) == [2, 32] and (speed.updates <= speed.final_update).all()
    for figure in ("fig_memory.pdf", "fig_width.pdf"):
        assert (results / figure).stat().st_size > 10_000
    assert "results/ablation/width2/traces/bernoulli_beta_1_1/seed0.h5" in listed
    examples = pd.read_csv(results / "fig1.csv")
    assert set(examples.task) == {"categorical_dir_1_1_1", "bernoulli_bandit_beta_1_1"}
    assert examples.t.max() == 30 and (examples.trained_steps == 20).all()
    # The first 20 steps of Figure 1's episodes are the traced evaluation episodes.
    trace = read_trace(results / "traces" / "categorical_dir_1_1_1" / "seed0.h5")
    rnn = examples[(examples.task == "categorical_dir_1_1_1") & (examples.agent == "rnn")]
    for episode, rows in rnn.groupby("episode"):
        shown = rows[["p0", "p1", "p2"]].to_numpy()[:20]
        np.testing.assert_allclose(shown, trace.rnn["final"].outputs[episode], atol=1e-6)
    # The bandit's episodes follow Figure 1's rule, where enough held-out episodes qualify.
    trace = read_trace(results / "traces" / "bernoulli_bandit_beta_1_1" / "seed0.h5")
    held_out = split_episodes(50, tuple(config["structure"]["split"]), 2020).test
    rnn, opt = trace.rnn["final"].actions, trace.opt.actions
    qualifies = [
        e
        for e in held_out
        if trace.theta[e].argmax() != rnn[e, 0] and len(set(rnn[e])) == 2 == len(set(opt[e]))
    ]
    shown = list(dict.fromkeys(examples[examples.task == "bernoulli_bandit_beta_1_1"].episode))
    assert shown[: len(qualifies)] == qualifies[:3]
    for figure in ("fig1.pdf", "fig2.pdf", "fig3.pdf", "fig4.pdf"):
        assert (results / figure).stat().st_size > 10_000


def test_cli_runs_each_step_without_snakemake(tmp_path):
    config, cli = TINY_CONFIG, CLI
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
    subprocess.run(
        [
            *cli,
            "structure",
            "categorical_dir_1_1_1",
            *config,
            "--trace",
            str(tmp_path / "t.h5"),
            "--checkpoints",
            str(tmp_path / "m" / "checkpoints.pt"),
            "--out",
            str(tmp_path / "s.csv"),
            "--comparisons",
            str(tmp_path / "s.h5"),
        ],
        check=True,
    )
    structure = pd.read_csv(tmp_path / "s.csv")
    assert list(structure.direction) == ["rnn_to_opt", "opt_to_rnn"] * 2
    run = [
        "--trace",
        str(tmp_path / "t.h5"),
        "--checkpoints",
        str(tmp_path / "m" / "checkpoints.pt"),
    ]
    subprocess.run(
        [
            *cli,
            "structure",
            "categorical_dir_1_1_1",
            *config,
            *run,
            "--out",
            str(tmp_path / "s2.csv"),
            "--comparisons",
            str(tmp_path / "s2.h5"),
            "--robustness",
            str(tmp_path / "v.csv"),
        ],
        check=True,
    )
    # The main analysis is the same whether the variants are fitted beside it or not, and it
    # is the robustness table's variant 0.
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "s2.csv"), structure)
    variants = pd.read_csv(tmp_path / "v.csv")
    merged = load_config([os.path.join(REPO, "config.yaml"), TINY])
    assert variants.variant.nunique() == 1 + len(merged["structure"]["variants"])
    main = variants[variants.variant == 0].drop(columns="variant").reset_index(drop=True)
    pd.testing.assert_frame_equal(main, structure)
    subprocess.run(
        [
            *cli,
            "convergence",
            "categorical_dir_1_1_1",
            *config,
            "--traces",
            str(tmp_path / "t.h5"),
            "--out",
            str(tmp_path / "c.h5"),
            "--table",
            str(tmp_path / "c.csv"),
        ],
        check=True,
    )
    assert list(pd.read_csv(tmp_path / "c.csv").checkpoint) == [
        "init",
        "update_1",
        "update_4",
        "final",
    ]
    subprocess.run(
        [
            *cli,
            "examples",
            "categorical_dir_1_1_1",
            *config,
            "--checkpoints",
            str(tmp_path / "m" / "checkpoints.pt"),
            "--traces",
            str(tmp_path / "t.h5"),
            "--out",
            str(tmp_path / "e.csv"),
        ],
        check=True,
    )
    assert len(pd.read_csv(tmp_path / "e.csv")) == 2 * 3 * 30
    bad = subprocess.run(
        [*cli, "check-config", os.path.join(REPO, "config.yaml"), str(tmp_path / "b.csv")],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2


@pytest.mark.parametrize("target", ["gittins", "train", "traces", "behaviour"])
def test_stage_targets_plan_only_their_stage(tmp_path, target):
    tiny = os.path.join(REPO, "presets", "tiny.yaml")
    jobs = planned_jobs(
        snakemake(target, "-n", "--cores", "1", "--configfile", tiny, workdir=tmp_path).stdout
    )
    assert jobs["gittins_table"] == 1
    assert jobs.get("train_predictors", 0) == (0 if target == "gittins" else 3)
    assert jobs.get("train_bandit_agent", 0) == (0 if target == "gittins" else 1)
    assert ("dump_bandit_traces" in jobs) == (target in ("traces", "behaviour"))
    assert "compare_structure" not in jobs and "converge" not in jobs


def test_one_figure_builds_only_what_it_needs(tmp_path):
    tiny = os.path.join(REPO, "presets", "tiny.yaml")
    plan = snakemake(
        "results/fig4.pdf", "-n", "--cores", "1", "--configfile", tiny, workdir=tmp_path
    )
    jobs = planned_jobs(plan.stdout)
    assert jobs["compare_structure"] == 4 and jobs["plot_fig4"] == 1
    assert "plot_fig3" not in jobs and "write_claims" not in jobs and "converge" not in jobs
    plan = snakemake("fig3", "-n", "--cores", "1", "--configfile", tiny, workdir=tmp_path)
    jobs = planned_jobs(plan.stdout)
    assert jobs["compare_structure"] == 2 and "train_predictors" in jobs
    assert "tabulate_fig7" not in jobs and "converge" not in jobs
    plan = snakemake(
        "results/fig2.pdf", "-n", "--cores", "1", "--configfile", tiny, workdir=tmp_path
    )
    jobs = planned_jobs(plan.stdout)
    assert jobs["converge"] == 2 and jobs["plot_fig2"] == 1 and jobs["dump_bandit_traces"] == 1
    assert "compare_structure" not in jobs
    plan = snakemake("fig1", "-n", "--cores", "1", "--configfile", tiny, workdir=tmp_path)
    jobs = planned_jobs(plan.stdout)
    assert jobs["generalisation_examples"] == 1 and jobs["train_predictors"] == 1
    # The episodes are chosen from the runs' traces; no analysis is needed.
    assert jobs["dump_prediction_traces"] == 1 and jobs["dump_bandit_traces"] == 1
    assert "compare_structure" not in jobs and "converge" not in jobs


def test_appendix_targets_plan_only_what_they_need(tmp_path):
    """fig_memory: the ablation's runs and the main runs of its tasks, nothing else."""
    plan = snakemake(
        "results/fig_memory.pdf", "-n", "--cores", "1", "--configfile", TINY, workdir=tmp_path
    )
    jobs = planned_jobs(plan.stdout)
    assert jobs == {
        "train_predictors": 1,  # bernoulli_beta_1_1 at the main width
        "train_predictors_at_width": 1,  # and at N = 2
        "dump_prediction_traces": 1,
        "dump_prediction_traces_at_width": 1,
        "tabulate_ablation": 1,
        "plot_memory": 1,
        "total": 6,
    }
    assert "results/ablation/width2/models/bernoulli_beta_1_1/seed0/checkpoints.pt" in plan.stdout
    jobs = planned_jobs(
        snakemake("fig3_all", "-n", "--cores", "1", "--configfile", TINY, workdir=tmp_path).stdout
    )
    assert jobs["compare_structure"] == 4 and "plot_fig3_task" not in jobs
    assert not any("width" in rule or "ablation" in rule for rule in jobs)


def test_cli_runs_the_bandit_steps(tmp_path):
    config, cli = TINY_CONFIG, CLI
    task, tables = "bernoulli_bandit_beta_1_1_vs_3_3", str(tmp_path / "tables.h5")
    steps = [
        ["gittins", task, *config, "--out", tables],
        ["train", task, "0", *config, "--tables", tables, "--out", str(tmp_path / "m")],
        [
            "trace",
            task,
            "0",
            *config,
            "--tables",
            tables,
            "--checkpoints",
            str(tmp_path / "m" / "checkpoints.pt"),
            "--out",
            str(tmp_path / "t.h5"),
        ],
        ["behaviour", task, str(tmp_path / "t.h5"), "--out", str(tmp_path / "b.csv")],
    ]
    for step in steps:
        subprocess.run([*cli, *step], check=True)
    table = pd.read_csv(tmp_path / "b.csv")
    assert list(table.checkpoint) == ["init", "update_1", "final"]
    assert (table.eq3 >= 0).all() and (table.gittins_return > table.random_return).all()


def test_report_shows_every_figure_with_its_caption(tiny_run):
    report = tiny_run.workdir / "results" / "report.html"
    snakemake("--report", str(report), "--configfile", TINY, workdir=tiny_run.workdir)
    html = report.read_text()
    shown = [f"results/fig{n}.pdf" for n in range(1, 5)]
    shown += [f"results/convergence/{task}.pdf" for task in TINY_TASKS]
    shown += ["results/fig7.csv", "results/claims.md", "results/robustness.md"]
    shown += [f"results/fig3/{task}.pdf" for task in TINY_TASKS]
    shown += ["results/fig_memory.pdf", "results/fig_width.pdf"]
    shown += ["results/memory.csv", "results/width.csv"]
    for path in shown:
        assert f'"{path}": {{"name"' in html, f"{path} is not in the report"
    # Captions come from report/*.rst, rendered with the run's own settings.
    for heading in ("Figure 1: behaviour", "Figure 2: policies", "Figure 3: structural"):
        assert heading in html
    assert "1 training run per task (the paper: 10)" in html
    assert "Convergence over training of bernoulli_bandit_beta_1_1" in html
    assert "Figure 3 for gaussian_normal_gamma_1" in html
    assert "Reduced-memory meta-learners" in html and "convergence speed" in html
    assert html.count("Our choices") >= 5
