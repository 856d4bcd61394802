"""Behaviour on a few episodes run past the training horizon (paper §3.2, Fig. 1).

A trained meta-learner and the Bayes-optimal agent read the same episodes for 1.5 T steps
(30 at the paper's T = 20), although the meta-learner was trained on T. The episodes are
held-out episodes of the structural split (:func:`metabayes.analysis.structure.
split_episodes`) chosen by one rule for every run (:func:`example_episodes`), and Figure 3
draws the same episodes as lines, as in the paper; their first T steps are exactly the
evaluation episodes of the traces, and the steps after T are drawn from the same θ with their
own random stream.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metabayes.agents import BayesOptimalPredictor, RNNAgent, rollout
from metabayes.analysis.behaviour import pseudo_regret
from metabayes.bandits.agents import GittinsAgent
from metabayes.bandits.games import play
from metabayes.families import Categorical
from metabayes.rng import numpy_rng
from metabayes.rnn import MetaLearner
from metabayes.tasks import Episodes, PredictionTask, task_kind
from metabayes.tasks.bandit import N_ARMS, BanditEpisodes, BanditTask, action_uniforms
from metabayes.traces import Trace

N_EXAMPLES = 3
"""Episodes shown (paper Fig. 1)."""


def example_episodes(trace: Trace, held_out: np.ndarray, n: int = N_EXAMPLES) -> np.ndarray:
    """The episodes Figures 1 and 3 show for a run: n held-out episodes, chosen from its trace.

    Prediction: the first n held-out episodes (in every one the predictions move from the
    prior towards θ). Bandits: the first n held-out episodes in which the better arm (larger
    θ) is not the one the final meta-learner pulls first, and both the final meta-learner and
    Opt pull each arm at least once within the trace's T steps: each panel then shows both
    agents leaving the first arm for the better one. Where fewer qualify, the next held-out
    episodes fill the rest, in order.
    """
    if task_kind(trace.task) != "bandit":
        return held_out[:n]
    rnn, opt = trace.rnn["final"].actions[held_out], trace.opt.actions[held_out]
    better = trace.theta[held_out].argmax(axis=1)
    both_arms = [(actions.min(axis=1) == 0) & (actions.max(axis=1) == 1) for actions in (rnn, opt)]
    shows = (better != rnn[:, 0]) & both_arms[0] & both_arms[1]
    order = np.concatenate([held_out[shows], held_out[~shows]])
    return order[:n]


def example_length(T: int) -> int:
    """Steps the examples run: 1.5 T, the paper's 30 for T = 20."""
    return T + T // 2


def extend_prediction(
    task: PredictionTask, episodes: Episodes, chosen: np.ndarray, steps: int, seed: int
) -> Episodes:
    """The chosen evaluation episodes continued to ``steps`` observations from the same θ."""
    theta = episodes.theta[chosen]
    T = episodes.observations.shape[1]
    more = task.model.sample_observations(numpy_rng(seed, "generalisation"), theta, steps - T)
    observations = np.concatenate([episodes.observations[chosen], more], axis=1)
    return Episodes(theta, observations, task.inputs(observations))


def extend_bandit(
    task: BanditTask,
    episodes: BanditEpisodes,
    uniforms: np.ndarray,
    chosen: np.ndarray,
    steps: int,
    seed: int,
) -> tuple[BanditEpisodes, np.ndarray]:
    """The chosen evaluation episodes' reward tables and action uniforms continued to
    ``steps`` steps from the same θ."""
    theta = episodes.theta[chosen]
    T = episodes.rewards.shape[1]
    rng = numpy_rng(seed, "generalisation")
    rewards = np.concatenate(
        [episodes.rewards[chosen], task.arms.sample_rewards(rng, theta, steps - T)], 1
    )
    more_uniforms = action_uniforms(rng, len(chosen), steps - T)
    return BanditEpisodes(theta, rewards), np.concatenate([uniforms[chosen], more_uniforms], 1)


def prediction_examples(
    task: PredictionTask, net: MetaLearner, episodes: Episodes, chosen: np.ndarray
) -> pd.DataFrame:
    """Both agents' predictions on the episodes, one row per (agent, episode, step).

    Columns: task, agent ("rnn", "opt"), episode (index among the evaluation episodes), t
    (1-based), observation (x_t, the value predicted), the predictive parameters, and θ as
    ``theta_<name>``.
    """
    family, model = task.model.family, task.model
    agents = {
        "rnn": rollout(RNNAgent(net, family), episodes.inputs)[0],
        "opt": rollout(BayesOptimalPredictor(model), episodes.inputs)[0],
    }
    tables = []
    for agent, outputs in agents.items():
        columns = dict(zip(family.param_names, np.moveaxis(outputs, -1, 0), strict=True))
        thetas = dict(zip(model.theta_names, episodes.theta.T, strict=True))
        tables.append(
            _tidy(
                task.name,
                agent,
                chosen,
                {"observation": episodes.observations, **columns},
                {f"theta_{name}": value for name, value in thetas.items()},
            )
        )
    return pd.concat(tables, ignore_index=True)


def bandit_examples(
    task: BanditTask,
    net: MetaLearner,
    gittins: GittinsAgent,
    episodes: BanditEpisodes,
    uniforms: np.ndarray,
    chosen: np.ndarray,
) -> pd.DataFrame:
    """Both agents playing the episodes' reward tables, one row per (agent, episode, step).

    Columns: task, agent ("rnn", "opt": the Gittins agent), episode, t, action, reward,
    p_arm0, p_arm1 (action probabilities), regret (cumulative Σ_{s≤t} (max_a θ_a − θ_{a_s})),
    theta_0, theta_1.
    """
    games = {
        "rnn": play(RNNAgent(net, Categorical(N_ARMS)), task, episodes, uniforms),
        "opt": play(gittins, task, episodes, uniforms),
    }
    tables = []
    for agent, game in games.items():
        steps = {
            "action": game.actions,
            "reward": game.rewards,
            **{f"p_arm{a}": game.probabilities[..., a] for a in range(N_ARMS)},
            "regret": pseudo_regret(game.actions, episodes.theta).cumsum(axis=1),
        }
        thetas = {f"theta_{a}": episodes.theta[:, a] for a in range(N_ARMS)}
        tables.append(_tidy(task.name, agent, chosen, steps, thetas))
    return pd.concat(tables, ignore_index=True)


def _tidy(
    task: str,
    agent: str,
    chosen: np.ndarray,
    steps: dict[str, np.ndarray],
    per_episode: dict[str, np.ndarray],
) -> pd.DataFrame:
    """Arrays (episodes, steps) and per-episode values → one row per (episode, step)."""
    n, T = next(iter(steps.values())).shape
    return pd.DataFrame(
        {
            "task": task,
            "agent": agent,
            "episode": np.repeat(chosen, T),
            "t": np.tile(np.arange(1, T + 1), n),
            **{name: np.asarray(value).reshape(-1) for name, value in steps.items()},
            **{name: np.repeat(value, T) for name, value in per_episode.items()},
        }
    )
