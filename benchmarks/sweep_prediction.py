"""Sweep prediction-training settings and print the final eq. 2 KL per task (run on demand).

Used to choose the defaults recorded in config.yaml. Each (task, setting) trains one seed
and evaluates on the fixed evaluation episodes; runs go to a process pool.

    python benchmarks/sweep_prediction.py --updates 5000 10000 --lr 0.001 0.003 --jobs 2
"""

from __future__ import annotations

import argparse
import itertools
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial

import torch

from metabayes.analysis.behaviour import behaviour_table
from metabayes.settings import PredictionSettings
from metabayes.simulate import evaluation_episodes, prediction_trace
from metabayes.tasks import PREDICTION_TASKS
from metabayes.training.prediction import build_predictor, train_predictor


def run(task_name: str, n_updates: int, lr: float, batch: int, seed: int, schedule: str) -> str:
    torch.set_num_threads(1)
    task = PREDICTION_TASKS[task_name]
    settings = PredictionSettings(
        hidden_size=32,
        episode_length=20,
        batch_size=batch,
        n_updates=n_updates,
        learning_rate=lr,
        lr_schedule=schedule,
        grad_clip=1.0,
        n_checkpoints=2,
        log_every=n_updates,
        init="torch",
    )
    start = time.perf_counter()
    checkpoints, _ = train_predictor(task, settings, seed)
    seconds = time.perf_counter() - start
    episodes = evaluation_episodes(task, 500, 20, 2020)
    trace = prediction_trace(task, checkpoints, episodes, partial(build_predictor, task, 32))
    kl = behaviour_table(trace, task.model.family).set_index("checkpoint").kl_sum
    return (
        f"{task_name:26s} updates={n_updates:6d} lr={lr:.0e} batch={batch:4d} {schedule:8s} "
        f"seed={seed} KL init={kl['init']:8.4f} final={kl['final']:.5f} train_s={seconds:6.1f} "
        f"updates/s={n_updates / seconds:5.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=sorted(PREDICTION_TASKS))
    parser.add_argument("--updates", nargs="+", type=int, default=[10000])
    parser.add_argument("--lr", nargs="+", type=float, default=[3e-3])
    parser.add_argument("--batch", nargs="+", type=int, default=[128])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--schedule", nargs="+", default=["cosine"])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    grid = list(
        itertools.product(args.tasks, args.updates, args.lr, args.batch, args.seeds, args.schedule)
    )
    with ProcessPoolExecutor(args.jobs) as pool:
        for line in pool.map(run, *zip(*grid, strict=True)):
            print(line, flush=True)


if __name__ == "__main__":
    main()
