"""Returns of trained bandit meta-learners on many fresh episodes, paired with Gittins and DP.

The workflow's traces use K = 500 evaluation episodes; this checks a run's final policy on
more (and on another stream) so that small differences from the Gittins and DP agents are
resolved. Every agent plays the same reward tables with the same action uniforms; the
differences are paired, with standard errors.

    python benchmarks/evaluate_bandit.py \\
        results/models/gaussian_bandit_sigma_1/seed*/checkpoints.pt \\
        --episodes 20000 --seed 7
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from metabayes.agents import RNNAgent
from metabayes.bandits.agents import DynamicProgrammingAgent, GittinsAgent
from metabayes.bandits.games import discounted_return, play
from metabayes.families import Categorical
from metabayes.simulate import evaluation_episodes, evaluation_uniforms
from metabayes.tasks.bandit import BANDIT_TASKS, N_ARMS
from metabayes.training.bandit import build_bandit_agent
from metabayes.training.checkpoints import Checkpoints


def mean_se(x: np.ndarray) -> str:
    return f"{x.mean():+.4f} ± {x.std(ddof=1) / np.sqrt(len(x)):.4f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="+")
    parser.add_argument("--episodes", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=7, help="evaluation stream seed")
    parser.add_argument("--length", type=int, default=20, help="steps per episode")
    args = parser.parse_args()
    torch.set_num_threads(1)
    references: dict[str, dict] = {}
    for path in args.checkpoints:
        checkpoints = Checkpoints.load(path)
        task = BANDIT_TASKS[checkpoints.task]
        K, T = args.episodes, args.length
        episodes = evaluation_episodes(task, K, T, args.seed)
        uniforms = evaluation_uniforms(K, T, args.seed)
        if task.name not in references:
            agents = {"gittins": GittinsAgent(task), "dp": DynamicProgrammingAgent(task, T)}
            references[task.name] = {
                name: discounted_return(play(agent, task, episodes, uniforms).rewards, task.gamma)
                for name, agent in agents.items()
            }
        ref = references[task.name]
        net = build_bandit_agent(task, checkpoints.settings["hidden_size"])
        net.load_state_dict(checkpoints.states[checkpoints.updates[-1]])
        game = play(RNNAgent(net, Categorical(N_ARMS)), task, episodes, uniforms)
        rnn = discounted_return(game.rewards, task.gamma)
        print(
            f"{task.name:34s} seed {checkpoints.seed}  K={K}  rnn {rnn.mean():.4f}  "
            f"gittins {ref['gittins'].mean():.4f}  dp {ref['dp'].mean():.4f}  "
            f"rnn − gittins {mean_se(rnn - ref['gittins'])}  "
            f"rnn − dp {mean_se(rnn - ref['dp'])}",
            flush=True,
        )


if __name__ == "__main__":
    main()
