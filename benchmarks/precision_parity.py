"""Are bandit agents trained with bfloat16 products as close to Opt as float32's? (on demand)

For every task and seed, trains the meta-learner twice from the same initialisation and data
streams, with the LSTM's and the decoder's matrix products in float32 and in bfloat16 (the
``bandit.precision`` setting; everything else from --config), then plays each final policy and
the Gittins agent (Opt) on the same K episodes of an independent evaluation stream with the
same action uniforms. It prints, per run, the mean discounted return, the paired gap to
Gittins with its standard error and the training time; per task and seed, the paired
difference bfloat16 − float32; and the difference averaged over seeds, against the
seed-to-seed spread of the float32 gaps, which is the scale on which parity is judged (README,
"Precision").

Final checkpoints go to --out/<task>/seed<k>/<precision>.pt, and a run whose file exists
is not trained again, so the evaluation can be repeated on other episodes.

    python benchmarks/precision_parity.py --seeds 0 1 --jobs 2 --out parity
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from metabayes.agents import RNNAgent
from metabayes.bandits.agents import GittinsAgent
from metabayes.bandits.games import discounted_return, play
from metabayes.catalogue import PRECISIONS
from metabayes.config import load_config
from metabayes.families import Categorical
from metabayes.settings import Settings
from metabayes.simulate import evaluation_episodes, evaluation_uniforms
from metabayes.tasks.bandit import BANDIT_TASKS, N_ARMS
from metabayes.training.bandit import build_bandit_agent, train_bandit_agent
from metabayes.training.checkpoints import Checkpoints


def train(task_name: str, seed: int, settings, path: Path) -> float:
    """Train one run unless its checkpoints exist; returns the training seconds (0 if not)."""
    if path.exists():
        return 0.0
    torch.set_num_threads(1)
    task = BANDIT_TASKS[task_name]
    start = time.perf_counter()
    checkpoints, _ = train_bandit_agent(task, settings, seed)  # Gittins for its log: computed
    seconds = time.perf_counter() - start
    path.parent.mkdir(parents=True, exist_ok=True)
    checkpoints.save(path)
    return seconds


def final_returns(path: Path, task, episodes, uniforms) -> np.ndarray:
    """Discounted return of each evaluation episode under a run's final policy."""
    checkpoints = Checkpoints.load(path)
    net = build_bandit_agent(task, checkpoints.settings["hidden_size"])
    net.load_state_dict(checkpoints.states[checkpoints.updates[-1]])
    game = play(RNNAgent(net, Categorical(N_ARMS)), task, episodes, uniforms)
    return discounted_return(game.rewards, task.gamma)


def mean_se(x: np.ndarray) -> str:
    return f"{x.mean():+.4f} ± {x.std(ddof=1) / np.sqrt(len(x)):.4f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", nargs="+", default=["config.yaml"])
    parser.add_argument("--tasks", nargs="+", default=sorted(BANDIT_TASKS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--episodes", type=int, default=20000)
    parser.add_argument("--eval-seed", type=int, default=7, help="not the workflow's")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("parity"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    base = Settings.from_config(load_config(args.config)).training["bandit"]
    runs = [(t, s, p) for t in args.tasks for s in args.seeds for p in PRECISIONS]
    path = {run: args.out / run[0] / f"seed{run[1]}" / f"{run[2]}.pt" for run in runs}
    with ProcessPoolExecutor(args.jobs) as pool:
        futures = {
            run: pool.submit(train, run[0], run[1], replace(base, precision=run[2]), path[run])
            for run in runs
        }
        seconds = {run: future.result() for run, future in futures.items()}

    T, K = base.episode_length, args.episodes
    print(f"{base.n_updates} updates, N = {base.hidden_size}; K = {K} paired episodes, T = {T}")
    for task_name in args.tasks:
        task = BANDIT_TASKS[task_name]
        episodes = evaluation_episodes(task, K, T, args.eval_seed)
        uniforms = evaluation_uniforms(K, T, args.eval_seed)
        opt = discounted_return(
            play(GittinsAgent(task), task, episodes, uniforms).rewards, task.gamma
        )
        print(f"\n{task_name}: Gittins {opt.mean():.4f}")
        gaps, differences = {p: [] for p in PRECISIONS}, []
        for seed in args.seeds:
            returns = {
                p: final_returns(path[task_name, seed, p], task, episodes, uniforms)
                for p in PRECISIONS
            }
            for p in PRECISIONS:
                run = (task_name, seed, p)
                timing = f"{seconds[run]:5.0f} s" if seconds[run] else "(trained before)"
                gaps[p].append((opt - returns[p]).mean())
                print(
                    f"  seed {seed} {p:9s} return {returns[p].mean():.4f}  "
                    f"Gittins − it {mean_se(opt - returns[p])}  training {timing}"
                )
            difference = returns["bfloat16"] - returns["float32"]
            differences.append(difference.mean())
            print(f"  seed {seed} bfloat16 − float32 {mean_se(difference)}")
        spread = np.std(gaps["float32"], ddof=1) if len(args.seeds) > 1 else float("nan")
        print(
            f"  over {len(args.seeds)} seeds: gap float32 {np.mean(gaps['float32']):+.4f}, "
            f"bfloat16 {np.mean(gaps['bfloat16']):+.4f}; bfloat16 − float32 "
            f"{np.mean(differences):+.4f}; seed-to-seed s.d. of the float32 gap {spread:.4f}"
        )


if __name__ == "__main__":
    main()
