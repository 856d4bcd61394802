"""Expected returns of the Gittins, dynamic-programming and random agents on every bandit task.

    python benchmarks/bandit_values.py                       # T = 20, γ = 0.9, K = 500, 20000
    python benchmarks/bandit_values.py --episodes 500 --knots 201

Bernoulli tasks: exact values by enumeration of the belief states, discounted (γ of the task)
and undiscounted (the same policies' plain sums). Gaussian tasks: values on the DP grid at M
and 2M − 1 knots with their Richardson extrapolation (error O(h²)). Every task: Monte Carlo
returns on K episodes of the fixed evaluation stream with standard errors, the paired
difference DP − Gittins on the same reward tables, the fraction of Gittins decisions that are
exact ties, and wall times.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from metabayes.bandits.agents import (
    DynamicProgrammingAgent,
    GittinsAgent,
    RandomAgent,
    policy_value,
)
from metabayes.bandits.arms import GaussianArms
from metabayes.bandits.games import discounted_return, play
from metabayes.rng import numpy_rng
from metabayes.tasks.bandit import BANDIT_TASKS, BanditTask

T, SEED = 20, 0


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def mean_se(x: np.ndarray) -> str:
    return f"{x.mean():8.4f} ± {x.std(ddof=1) / np.sqrt(len(x)):.4f}"


def build_agents(task: BanditTask, knots: int) -> dict:
    grid = {"n_knots": knots} if isinstance(task.arms, GaussianArms) else {}
    gittins, seconds = timed(GittinsAgent, task)
    print(f"  Gittins tables: {seconds:.2f} s")
    dp, seconds = timed(DynamicProgrammingAgent, task, T, **grid)
    print(f"  DP backward induction: {seconds:.2f} s, optimal value {dp.value:.6f}")
    return {"gittins": gittins, "dp": dp, "random": RandomAgent(task)}


def exact_report(task: BanditTask, agents: dict, knots: int) -> None:
    """Values by backward induction: exact (Bernoulli) or on grids of M and 2M − 1 knots."""
    grids, label = [{}], "exact"
    if isinstance(task.arms, GaussianArms):  # on a grid: two refinements, extrapolated
        grids = [{"n_knots": knots}, {"n_knots": 2 * knots - 1}]
        label = f"grid M = {knots}, {2 * knots - 1}, extrapolated"
    print(f"  values by backward induction ({label}):")
    for gamma in (task.gamma, 1.0):
        values = {}
        for name, agent in agents.items():
            v, seconds = zip(
                *[timed(policy_value, task, agent.probabilities, T, gamma, **g) for g in grids],
                strict=True,
            )
            values[name] = v[-1] + (v[-1] - v[0]) / 3 if len(v) > 1 else v[0]
            shown = "  ".join(f"{x:.6f}" for x in v)
            extra = f" → {values[name]:.6f}" if len(v) > 1 else ""
            print(f"    γ = {gamma:g}  {name:8s} {shown}{extra}  ({sum(seconds):.2f} s)")
        gap = values["dp"] - values["gittins"]
        print(f"    γ = {gamma:g}  DP − Gittins = {gap:.2e} ({gap / values['dp']:.2e} relative)")


def monte_carlo_report(task: BanditTask, agents: dict, n_episodes: int) -> None:
    episodes = task.sample(numpy_rng(SEED, "evaluation"), n_episodes, T)
    print(f"  Monte Carlo, K = {n_episodes} (same reward tables and action draws for all):")
    returns = {}
    for name, agent in agents.items():
        game, seconds = timed(play, agent, task, episodes, numpy_rng(SEED, "actions"))
        returns[name] = discounted_return(game.rewards, task.gamma), game.rewards.sum(axis=1)
        ties = np.mean(game.probabilities[..., 0] == 0.5, axis=1)
        print(
            f"    {name:8s} discounted {mean_se(returns[name][0])}  undiscounted "
            f"{mean_se(returns[name][1])}  ties {mean_se(ties)}  ({seconds:.2f} s)"
        )
    for i, label in enumerate(("discounted", "undiscounted")):
        diff = returns["dp"][i] - returns["gittins"][i]
        print(f"    DP − Gittins, paired, {label}: {mean_se(diff)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, nargs="+", default=[500, 20000])
    parser.add_argument("--knots", type=int, default=401, help="Gaussian DP grid size M")
    args = parser.parse_args()
    for task in BANDIT_TASKS.values():
        print(f"{task.name}: T = {T}, γ = {task.gamma}")
        start = time.perf_counter()
        agents = build_agents(task, args.knots)
        exact_report(task, agents, args.knots)
        for n_episodes in args.episodes:
            monte_carlo_report(task, agents, n_episodes)
        print(f"  total {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
