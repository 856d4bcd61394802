"""Sweep bandit-training settings; print the returns of init and final against Gittins (on demand).

Used to choose the ``bandit`` defaults recorded in config.yaml. Each (task, setting, seed)
trains one meta-learner and plays K episodes of an evaluation stream (seed 7 by default, not
the workflow's 2020) with its init and final checkpoints and with the Gittins agent, all on
the same reward tables and action uniforms; it prints mean discounted returns with the
standard error of the paired difference to Gittins, and the training throughput. Runs go to
a process pool, one torch thread each.

    python benchmarks/sweep_bandit.py --updates 2000 4000 --lr 0.001 --schedule cosine --jobs 2
"""

from __future__ import annotations

import argparse
import itertools
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import torch

from metabayes.agents import RNNAgent
from metabayes.bandits.agents import GittinsAgent
from metabayes.bandits.games import discounted_return, play
from metabayes.families import Categorical
from metabayes.settings import BanditSettings
from metabayes.simulate import evaluation_episodes, evaluation_uniforms
from metabayes.tasks.bandit import BANDIT_TASKS, N_ARMS
from metabayes.training.bandit import build_bandit_agent, train_bandit_agent

T = 20


def run(task_name, n_updates, lr, schedule, batch, entropy, hidden, seed, episodes_k, eval_seed):
    torch.set_num_threads(1)
    task = BANDIT_TASKS[task_name]
    settings = BanditSettings(
        hidden_size=hidden,
        episode_length=T,
        batch_size=batch,
        n_updates=n_updates,
        learning_rate=lr,
        lr_schedule=schedule,
        entropy_cost=entropy,
        value_cost=0.5,
        grad_clip=1.0,
        n_checkpoints=2,
        log_every=max(1, n_updates // 4),
        init="torch",
    )
    start = time.perf_counter()
    checkpoints, _ = train_bandit_agent(task, settings, seed)
    seconds = time.perf_counter() - start

    episodes = evaluation_episodes(task, episodes_k, T, eval_seed)
    uniforms = evaluation_uniforms(episodes_k, T, eval_seed)
    gittins = play(GittinsAgent(task), task, episodes, uniforms)
    reference = discounted_return(gittins.rewards, task.gamma)
    parts = [f"Gittins {reference.mean():.4f}"]
    for update in checkpoints.updates:
        net = build_bandit_agent(task, settings.hidden_size)
        net.load_state_dict(checkpoints.states[update])
        agent = RNNAgent(net, Categorical(N_ARMS))
        game = play(agent, task, episodes, uniforms)
        gap = reference - discounted_return(game.rewards, task.gamma)
        se = gap.std(ddof=1) / np.sqrt(len(gap))
        parts.append(
            f"u{update} {reference.mean() - gap.mean():.4f} (gap {gap.mean():+.4f}±{se:.4f})"
        )
    return (
        f"{task_name:34s} updates={n_updates:5d} lr={lr:.0e} {schedule} batch={batch:3d} "
        f"entropy={entropy:.3f} N={hidden} seed={seed}  "
        + "  ".join(parts)
        + f"  train_s={seconds:6.0f} updates/s={n_updates / seconds:5.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=list(BANDIT_TASKS))
    parser.add_argument("--updates", nargs="+", type=int, default=[4000])
    parser.add_argument("--lr", nargs="+", type=float, default=[1e-3])
    parser.add_argument("--schedule", nargs="+", default=["constant"])
    parser.add_argument("--batch", nargs="+", type=int, default=[128])
    parser.add_argument("--entropy", nargs="+", type=float, default=[0.05])
    parser.add_argument("--hidden", nargs="+", type=int, default=[256], help="LSTM units N")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--episodes", type=int, default=20000)
    parser.add_argument("--eval-seed", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    grid = list(
        itertools.product(
            args.tasks,
            args.updates,
            args.lr,
            args.schedule,
            args.batch,
            args.entropy,
            args.hidden,
            args.seeds,
        )
    )
    with ProcessPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(run, *point, args.episodes, args.eval_seed) for point in grid]
        for future in futures:
            print(future.result(), flush=True)


if __name__ == "__main__":
    main()
