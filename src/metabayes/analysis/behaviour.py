"""Behavioural dissimilarity of the meta-learner from the Bayes-optimal agent (paper §3.2).

Prediction tasks: eq. 2, the KL from Opt's predictive summed over steps. Bandit tasks:
eq. 3, |mean over episodes of Σ_t (r_t^Opt − r_t^RNN)|, both playing the same reward tables
with the same action uniforms; with each agent's returns and regret.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metabayes.bandits.games import discounted_return
from metabayes.families import Family
from metabayes.traces import AgentTrace, Trace


def prediction_dissimilarity(
    opt_outputs: np.ndarray, rnn_outputs: np.ndarray, family: Family
) -> np.ndarray:
    """Per-step term of paper eq. 2: (1/K) Σ_k KL(π_t^Opt ‖ π_t^RNN), shape (T,).

    Args:
        opt_outputs, rnn_outputs: predictive parameters on the same inputs, (K, T, P).
        family: the predictive family of both.

    Summing the result over t gives d(Opt, RNN) of eq. 2.
    """
    return family.kl(opt_outputs, rnn_outputs).mean(axis=0)


def constant_dissimilarity(opt_outputs: np.ndarray, family: Family) -> float:
    """Eq. 2 of the best predictor that ignores the data: Opt's prior predictive at every step.

    Opt's first output (before any observation) is the prior predictive, the mean of Opt's
    predictive at every later step over the task's episodes; of all constant predictors it
    minimises the expected KL from Opt. It is the floor of a meta-learner without memory.
    """
    prior = np.broadcast_to(opt_outputs[:, :1], opt_outputs.shape)
    return float(prediction_dissimilarity(opt_outputs, prior, family).sum())


def behaviour_table(trace: Trace, family: Family) -> pd.DataFrame:
    """Eq. 2 for every checkpoint of a trace: one row per checkpoint, summed and per step.

    Columns: task, seed, checkpoint (label), update, kl_sum (eq. 2), kl_t1 … kl_tT,
    ``constant_kl_sum`` (eq. 2 of the best constant predictor: :func:`constant_dissimilarity`,
    the same on every row), and the trace's config_hash and code_version (provenance).
    """
    constant = constant_dissimilarity(trace.opt.outputs, family)
    rows = []
    for label in trace.labels:
        per_step = prediction_dissimilarity(trace.opt.outputs, trace.rnn[label].outputs, family)
        rows.append(
            {
                "task": trace.task,
                "seed": trace.seed,
                "checkpoint": label,
                "update": trace.rnn[label].update,
                "kl_sum": per_step.sum(),
                **{f"kl_t{t + 1}": v for t, v in enumerate(per_step)},
                "constant_kl_sum": constant,
                "config_hash": trace.attrs.get("config_hash", ""),
                "code_version": trace.attrs.get("code_version", ""),
            }
        )
    return pd.DataFrame(rows)


def bandit_dissimilarity(opt_rewards: np.ndarray, rnn_rewards: np.ndarray) -> tuple[float, float]:
    """Paper eq. 3 with its standard error: |(1/K) Σ_k Σ_t (r_kt^Opt − r_kt^RNN)|.

    Args:
        opt_rewards, rnn_rewards: rewards received on the same episodes, (K, T).

    Returns:
        d(Opt, RNN) and the standard error of the mean difference inside the absolute value.
    """
    gap = (opt_rewards - rnn_rewards).sum(axis=1)
    return float(abs(gap.mean())), float(gap.std(ddof=1) / np.sqrt(len(gap)))


def bandit_performance(agent: AgentTrace, theta: np.ndarray, gamma: float) -> dict[str, float]:
    """Mean returns and regret of an agent over the episodes it played.

    Regret is the pseudo-regret to the best arm, Σ_t (max_a θ_a − θ_{a_t}), undiscounted and
    discounted by γ^{t−1}; returns are the rewards received, Σ_t γ^{t−1} r_t and Σ_t r_t.
    """
    shortfall = pseudo_regret(agent.actions, theta)
    return {
        "return": float(discounted_return(agent.rewards, gamma).mean()),
        "return_undiscounted": float(agent.rewards.sum(axis=1).mean()),
        "regret": float(shortfall.sum(axis=1).mean()),
        "regret_discounted": float(discounted_return(shortfall, gamma).mean()),
    }


def pseudo_regret(actions: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Per-step regret to the best arm, max_a θ_a − θ_{a_t}: actions (K, T), θ (K, 2) → (K, T)."""
    return theta.max(axis=1, keepdims=True) - np.take_along_axis(theta, actions, axis=1)


def bandit_behaviour_table(trace: Trace, gamma: float) -> pd.DataFrame:
    """Eq. 3 and returns for every checkpoint of a bandit trace, one row per checkpoint.

    Columns: task, seed, checkpoint, update; ``eq3`` (against the Gittins agent, Opt) and
    ``eq3_se``; ``reward_gap_t1 … _tT``, the per-step mean of r^Opt − r^RNN; for each agent
    (``rnn``, ``gittins``, ``dp``, ``random``) ``<agent>_return``,
    ``<agent>_return_undiscounted``, ``<agent>_regret``, ``<agent>_regret_discounted``
    (the reference agents' columns repeat on every row); ``random_eq3``, eq. 3 of the random
    policy (the floor of a meta-learner without memory, on every row); config_hash and
    code_version.
    """
    references = {"gittins": trace.opt, **trace.baselines}
    fixed = {
        f"{name}_{key}": value
        for name, agent in references.items()
        for key, value in bandit_performance(agent, trace.theta, gamma).items()
    }
    random_eq3, _ = bandit_dissimilarity(trace.opt.rewards, trace.baselines["random"].rewards)
    rows = []
    for label in trace.labels:
        rnn = trace.rnn[label]
        eq3, se = bandit_dissimilarity(trace.opt.rewards, rnn.rewards)
        per_step = (trace.opt.rewards - rnn.rewards).mean(axis=0)
        performance = bandit_performance(rnn, trace.theta, gamma)
        rows.append(
            {
                "task": trace.task,
                "seed": trace.seed,
                "checkpoint": label,
                "update": rnn.update,
                "eq3": eq3,
                "eq3_se": se,
                **{f"reward_gap_t{t + 1}": v for t, v in enumerate(per_step)},
                **{f"rnn_{key}": value for key, value in performance.items()},
                **fixed,
                "random_eq3": random_eq3,
                "config_hash": trace.attrs.get("config_hash", ""),
                "code_version": trace.attrs.get("code_version", ""),
            }
        )
    return pd.DataFrame(rows)
