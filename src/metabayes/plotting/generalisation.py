"""Figure 1 of the paper: a trained meta-learner and Opt on three episodes, past the training
horizon, from the table of :mod:`metabayes.analysis.generalisation`."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from metabayes.tasks import task_kind

AGENT_STYLES = {
    "rnn": {"linestyle": "-", "linewidth": 1.6},
    "opt": {"linestyle": "--", "linewidth": 1.2},
}
AGENT_NAMES = {"rnn": "meta-learner (RNN)", "opt": "Bayes-optimal"}
OUTCOME_COLOURS = ("#d62728", "#2ca02c", "#1f77b4", "#9467bd", "#ff7f0e")


def plot_fig1(table: pd.DataFrame) -> plt.Figure:
    """(a) predictions of both agents on three episodes of a prediction task, with the true
    probabilities; (b) on three episodes of a bandit task, both agents' cumulative regret and
    the meta-learner's action probabilities. A grey line marks the training horizon."""
    tasks = list(dict.fromkeys(table.task))
    heights = [1.0 if task_kind(task) == "prediction" else 2.0 for task in tasks]
    fig = plt.figure(figsize=(13, 3.3 * sum(heights)), layout="constrained")
    blocks = fig.subfigures(len(tasks), 1, height_ratios=heights, squeeze=False)[:, 0]
    for block, letter, task in zip(blocks, "abcdefgh", tasks, strict=False):
        rows = table[table.task == task].dropna(axis=1, how="all")
        trained = int(rows.trained_steps.iloc[0])
        if task_kind(task) == "prediction":
            _prediction_block(block, rows, trained)
        else:
            _bandit_block(block, rows, trained)
        block.suptitle(
            f"({letter}) {task}: trained for {trained} steps, run for {rows.t.max()}",
            x=0.01,
            ha="left",
            fontsize=11,
            fontweight="bold",
        )
    return fig


def _episodes(rows: pd.DataFrame) -> list[int]:
    return list(dict.fromkeys(rows.episode))


def _prediction_block(block, rows: pd.DataFrame, trained: int) -> None:
    # Categorical outputs p0, p1, …; Bernoulli p = P(x = 1).
    probabilities = [c for c in rows.columns if c[:1] == "p" and c[1:].isdigit()]
    probabilities = probabilities or [c for c in ("p",) if c in rows.columns]
    if not probabilities:
        raise ValueError(f"Figure 1 draws predictive probabilities; {rows.task.iloc[0]} has none")
    episodes = _episodes(rows)
    axes = block.subplots(1, len(episodes), sharey=True)
    for ax, episode in zip(np.atleast_1d(axes), episodes, strict=True):
        data = rows[rows.episode == episode]
        for k, column in enumerate(probabilities):
            colour = OUTCOME_COLOURS[k % len(OUTCOME_COLOURS)]
            for agent, style in AGENT_STYLES.items():
                agent_rows = data[data.agent == agent]
                ax.plot(agent_rows.t, agent_rows[column], color=colour, **style)
            theta = data[_theta_column(data, k)].iloc[0]
            ax.axhline(theta, color=colour, linestyle=":", linewidth=1)
        observed = data[data.agent == "rnn"]
        outcome = observed.observation.to_numpy().astype(int)
        ax.scatter(
            observed.t,
            np.full(len(observed), 1.04),
            s=14,
            marker="|",
            c=[OUTCOME_COLOURS[o % len(OUTCOME_COLOURS)] for o in outcome],
            clip_on=False,
        )
        _horizon(ax, trained)
        ax.set_ylim(0, 1.08)
        ax.set_title(f"episode {episode}", fontsize=9, pad=10)
        ax.set_xlabel("step t", fontsize=9)
    np.atleast_1d(axes)[0].set_ylabel("predicted probability of each outcome", fontsize=9)
    _legend(
        block,
        extra=[
            ("true probability θ", {"linestyle": ":", "color": "0.3"}),
            ("observed outcome (ticks)", {"linestyle": "none", "marker": "|", "color": "0.3"}),
        ],
    )


def _theta_column(data: pd.DataFrame, k: int) -> str:
    thetas = [c for c in data.columns if c.startswith("theta_")]
    return thetas[k] if len(thetas) > 1 else thetas[0]


def _bandit_block(block, rows: pd.DataFrame, trained: int) -> None:
    episodes = _episodes(rows)
    axes = block.subplots(2, len(episodes), sharex=True, sharey="row")
    for column, episode in enumerate(episodes):
        data = rows[rows.episode == episode]
        top, bottom = axes[0, column], axes[1, column]
        for agent, style in AGENT_STYLES.items():
            agent_rows = data[data.agent == agent]
            top.plot(agent_rows.t, agent_rows.regret, color="black", **style)
        rnn = data[data.agent == "rnn"]
        bottom.plot(rnn.t, rnn.p_arm1, color="#1f77b4", linewidth=1.6)
        pulls = rnn.action.to_numpy()
        bottom.scatter(rnn.t, pulls * 1.0, s=10, color="0.3", marker="o", zorder=3)
        theta = data.theta_0.iloc[0], data.theta_1.iloc[0]
        top.set_title(f"episode {episode}: θ = ({theta[0]:.2f}, {theta[1]:.2f})", fontsize=9)
        bottom.set_ylim(-0.08, 1.08)
        bottom.set_xlabel("step t", fontsize=9)
        for ax in (top, bottom):
            _horizon(ax, trained)
    axes[0, 0].set_ylabel("cumulative regret", fontsize=9)
    axes[1, 0].set_ylabel("meta-learner's P(arm 1)\n(dots: arm pulled)", fontsize=9)
    _legend(block)


def _horizon(ax, trained: int) -> None:
    ax.axvline(trained + 0.5, color="0.5", linewidth=0.8)
    ax.grid(linewidth=0.3, alpha=0.5)


def _legend(block, extra=()) -> None:
    handles = [
        plt.Line2D([], [], color="0.2", label=AGENT_NAMES[agent], **style)
        for agent, style in AGENT_STYLES.items()
    ]
    handles += [plt.Line2D([], [], label=label, **style) for label, style in extra]
    handles.append(plt.Line2D([], [], color="0.5", linewidth=0.8, label="training horizon"))
    block.legend(handles=handles, fontsize=8, frameon=False, loc="outside right upper")
