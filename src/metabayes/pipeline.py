"""Workflow steps as plain functions of paths and settings.

Each function is one job of the Snakemake workflow (``workflow/scripts/*`` call them) and one
subcommand of the CLI (``python -m metabayes``), so every step runs without Snakemake too.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import asdict

import pandas as pd
import torch

from metabayes.analysis.behaviour import bandit_behaviour_table, behaviour_table
from metabayes.bandit_agents import GittinsAgent
from metabayes.index_tables import make_index_tables, read_index_tables
from metabayes.io import write_csv
from metabayes.provenance import code_version, settings_hash
from metabayes.simulate import (
    bandit_trace,
    evaluation_episodes,
    evaluation_uniforms,
    prediction_trace,
)
from metabayes.tasks import PREDICTION_TASKS
from metabayes.tasks.bandit import BANDIT_TASKS, BanditTask
from metabayes.traces import Trace, read_trace, write_trace
from metabayes.training.bandit import BanditSettings, train_bandit_agent
from metabayes.training.checkpoints import Checkpoints
from metabayes.training.prediction import PredictionSettings, train_predictor

log = logging.getLogger(__name__)
PathLike = str | os.PathLike


def setup_logging(path: PathLike | None = None) -> None:
    """Log INFO and above to ``path`` (or stderr), with timestamps."""
    logging.basicConfig(
        filename=path,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )


def prediction_settings(config: dict) -> dict:
    """The training settings of a validated config, as passed to :func:`train_prediction`."""
    block = {k: v for k, v in config["prediction"].items() if k != "threads"}
    return {**block, "episode_length": config["episode_length"]}


def bandit_settings(config: dict) -> dict:
    """The bandit training settings of a validated config, as passed to :func:`train_bandit`."""
    block = {k: v for k, v in config["bandit"].items() if k != "threads"}
    return {**block, "episode_length": config["episode_length"]}


def evaluation_settings(config: dict) -> dict:
    """The evaluation settings of a validated config, as passed to :func:`trace_prediction`."""
    return {
        "n_episodes": config["evaluation"]["n_episodes"],
        "seed": config["evaluation"]["seed"],
        "episode_length": config["episode_length"],
    }


def train_prediction(
    task: str,
    seed: int,
    settings: dict,
    checkpoints_path: PathLike,
    log_csv_path: PathLike,
    threads: int = 1,
) -> None:
    """Train the meta-learner of one (task, seed); write its checkpoints and training log."""
    torch.set_num_threads(threads)
    parsed = PredictionSettings(**settings)
    log.info("training %s seed %d with %s (code %s)", task, seed, asdict(parsed), code_version())
    checkpoints, rows = train_predictor(PREDICTION_TASKS[task], parsed, seed)
    _save_training(task, seed, checkpoints, rows, checkpoints_path, log_csv_path)


def make_gittins_tables(task: str, episode_length: int, out_path: PathLike) -> None:
    """Write a bandit task's Gittins tables and the exact values of the reference policies."""
    values = make_index_tables(out_path, BANDIT_TASKS[task], episode_length, code_version())
    for agent, value in values.items():
        log.info(
            "%s: %s policy, expected return over %d steps %.6f (undiscounted %.6f)",
            task,
            agent,
            episode_length,
            value["discounted"],
            value["undiscounted"],
        )


def train_bandit(
    task: str,
    seed: int,
    settings: dict,
    tables_path: PathLike | None,
    checkpoints_path: PathLike,
    log_csv_path: PathLike,
    threads: int = 1,
) -> None:
    """Train the bandit meta-learner of one (task, seed); write checkpoints and training log.

    ``tables_path`` is the task's Gittins-table file (the training log's regret to Opt);
    None computes the tables in-process.
    """
    torch.set_num_threads(threads)
    spec, parsed = BANDIT_TASKS[task], BanditSettings(**settings)
    log.info("training %s seed %d with %s (code %s)", task, seed, asdict(parsed), code_version())
    checkpoints, rows = train_bandit_agent(spec, parsed, seed, _gittins(spec, tables_path))
    _save_training(task, seed, checkpoints, rows, checkpoints_path, log_csv_path)


def _save_training(task, seed, checkpoints, rows, checkpoints_path, log_csv_path) -> None:
    checkpoints.save(checkpoints_path)
    table = pd.DataFrame(rows)
    table.insert(0, "seed", seed)
    table.insert(0, "task", task)
    write_csv(table, log_csv_path)


def _gittins(task: BanditTask, tables_path: PathLike | None) -> GittinsAgent:
    """The Gittins agent on a table file, or on tables computed here if there is none."""
    return GittinsAgent(task, None if tables_path is None else read_index_tables(tables_path, task))


def trace_prediction(
    task: str, seed: int, evaluation: dict, checkpoints_path: PathLike, trace_path: PathLike
) -> None:
    """Roll out every checkpoint and the Bayes-optimal predictor on the evaluation episodes."""
    torch.set_num_threads(1)
    checkpoints = _load_checkpoints(checkpoints_path, task, seed)
    spec = PREDICTION_TASKS[task]
    episodes = evaluation_episodes(
        spec, evaluation["n_episodes"], evaluation["episode_length"], evaluation["seed"]
    )
    trace = prediction_trace(spec, checkpoints, episodes, checkpoints.settings["hidden_size"])
    _write_trace(trace, "prediction", checkpoints, evaluation, trace_path)


def trace_bandit(
    task: str,
    seed: int,
    evaluation: dict,
    tables_path: PathLike | None,
    checkpoints_path: PathLike,
    trace_path: PathLike,
) -> None:
    """Play the evaluation episodes with every checkpoint and the reference agents, and feed
    each checkpoint's stream to the Gittins agent (the bandit trace file)."""
    torch.set_num_threads(1)
    checkpoints = _load_checkpoints(checkpoints_path, task, seed)
    spec = BANDIT_TASKS[task]
    K, T, eval_seed = evaluation["n_episodes"], evaluation["episode_length"], evaluation["seed"]
    episodes = evaluation_episodes(spec, K, T, eval_seed)
    uniforms = evaluation_uniforms(K, T, eval_seed)
    gittins = _gittins(spec, tables_path)
    trace = bandit_trace(
        spec, checkpoints, episodes, uniforms, gittins, checkpoints.settings["hidden_size"]
    )
    _write_trace(trace, "bandit", checkpoints, evaluation, trace_path, gamma=spec.gamma)


def _load_checkpoints(path: PathLike, task: str, seed: int) -> Checkpoints:
    checkpoints = Checkpoints.load(path)
    if (checkpoints.task, checkpoints.seed) != (task, seed):
        raise ValueError(
            f"{path} holds task {checkpoints.task} seed {checkpoints.seed}, "
            f"not task {task} seed {seed}"
        )
    return checkpoints


def _write_trace(
    trace: Trace, kind: str, checkpoints: Checkpoints, evaluation: dict, path, **attrs
) -> None:
    config = {"training": checkpoints.settings, "evaluation": evaluation}
    trace.attrs = {
        "kind": kind,
        "episode_length": evaluation["episode_length"],
        "n_episodes": evaluation["n_episodes"],
        "evaluation_seed": evaluation["seed"],
        "code_version": code_version(),
        "training_code_version": checkpoints.code_version,
        "config_hash": settings_hash(config),
        "config": config,
        **attrs,
    }
    write_trace(path, trace)
    log.info(
        "wrote %s: %d checkpoints × %d episodes", path, len(trace.rnn), evaluation["n_episodes"]
    )


def measure_behaviour(task: str, trace_path: PathLike, csv_path: PathLike) -> None:
    """Eq. 2 (prediction) or eq. 3 with returns and regret (bandits) per checkpoint."""
    trace = read_trace(trace_path)
    if task in BANDIT_TASKS:
        table = bandit_behaviour_table(trace, BANDIT_TASKS[task].gamma)
        column, name = "eq3", "eq. 3"
    else:
        table = behaviour_table(trace, PREDICTION_TASKS[task].model.family)
        column, name = "kl_sum", "eq. 2"
    write_csv(table, csv_path)
    final = table.loc[table.checkpoint == "final", column].iloc[0]
    log.info("%s: %s init %.4g, final %.4g", trace_path, name, table[column].iloc[0], final)


def collect_tables(csv_paths: Sequence[PathLike], out_path: PathLike) -> None:
    """Concatenate per-seed tables into one."""
    write_csv(pd.concat([pd.read_csv(p) for p in csv_paths], ignore_index=True), out_path)
