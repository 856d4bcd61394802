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

from metabayes.analysis.behaviour import behaviour_table
from metabayes.io import write_csv
from metabayes.provenance import code_version, settings_hash
from metabayes.simulate import evaluation_episodes, prediction_trace
from metabayes.tasks import PREDICTION_TASKS
from metabayes.traces import read_trace, write_trace
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
    checkpoints.save(checkpoints_path)
    table = pd.DataFrame(rows)
    table.insert(0, "seed", seed)
    table.insert(0, "task", task)
    write_csv(table, log_csv_path)


def trace_prediction(
    task: str, seed: int, evaluation: dict, checkpoints_path: PathLike, trace_path: PathLike
) -> None:
    """Roll out every checkpoint and the Bayes-optimal predictor on the evaluation episodes."""
    torch.set_num_threads(1)
    checkpoints = Checkpoints.load(checkpoints_path)
    if (checkpoints.task, checkpoints.seed) != (task, seed):
        raise ValueError(
            f"{checkpoints_path} holds task {checkpoints.task} seed {checkpoints.seed}, "
            f"not task {task} seed {seed}"
        )
    spec = PREDICTION_TASKS[task]
    episodes = evaluation_episodes(
        spec, evaluation["n_episodes"], evaluation["episode_length"], evaluation["seed"]
    )
    trace = prediction_trace(spec, checkpoints, episodes, checkpoints.settings["hidden_size"])
    config = {"training": checkpoints.settings, "evaluation": evaluation}
    trace.attrs = {
        "kind": "prediction",
        "episode_length": evaluation["episode_length"],
        "n_episodes": evaluation["n_episodes"],
        "evaluation_seed": evaluation["seed"],
        "code_version": code_version(),
        "training_code_version": checkpoints.code_version,
        "config_hash": settings_hash(config),
        "config": config,
    }
    write_trace(trace_path, trace)
    log.info(
        "wrote %s: %d checkpoints × %d episodes",
        trace_path,
        len(trace.rnn),
        evaluation["n_episodes"],
    )


def measure_behaviour(task: str, trace_path: PathLike, csv_path: PathLike) -> None:
    """Eq. 2 per checkpoint of one trace file."""
    table = behaviour_table(read_trace(trace_path), PREDICTION_TASKS[task].model.family)
    write_csv(table, csv_path)
    final = table[table.checkpoint == "final"].kl_sum
    log.info("%s: eq. 2 init %.4g, final %.4g", trace_path, table.kl_sum.iloc[0], final.iloc[0])


def collect_tables(csv_paths: Sequence[PathLike], out_path: PathLike) -> None:
    """Concatenate per-seed tables into one."""
    write_csv(pd.concat([pd.read_csv(p) for p in csv_paths], ignore_index=True), out_path)
