"""The width ablation's figures (App. D.7 and D.3) from its tables."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from metabayes.analysis.claims import BEHAVIOUR_SMALL  # noqa: E402

SEED_COLOUR, MEDIAN_COLOUR = "#9a9a9a", "#1f6fb4"


def plot_memory(memory: pd.DataFrame) -> plt.Figure:
    """One panel per task: final eq. 2 / eq. 3 against the LSTM width, every seed and the
    median, with the untrained median, the memoryless floor, claim 1's bound and the widths
    whose memory (2N numbers) is smaller than the Bayes state shaded."""
    tasks = list(dict.fromkeys(memory.task))
    fig, axes = _panels(len(tasks))
    for ax, task in zip(axes, tasks, strict=True):
        runs = memory[memory.task == task]
        kind, measure = runs.kind.iloc[0], runs.measure.iloc[0]
        medians = runs.groupby("width")[["final", "untrained"]].median()
        _seeds_and_median(ax, runs.width, runs.final, medians.final, "final (median)")
        ax.plot(medians.index, medians.untrained, ls="--", color=SEED_COLOUR, label="untrained")
        ax.axhline(
            runs.floor.iloc[0], color="#c0392b", ls="-.", lw=1, label=runs.floor_name.iloc[0]
        )
        ax.axhline(BEHAVIOUR_SMALL[kind], color="black", ls=":", lw=1, label="claim 1's bound")
        _shade_small_memory(ax, runs)
        main = runs.width[runs.main]
        if not main.empty:
            ax.axvline(main.iloc[0], color=MEDIAN_COLOUR, lw=0.6, alpha=0.5)
        ax.set_yscale("log" if kind == "prediction" else "linear")
        ax.set_ylabel(f"final {measure}" + (" (nats)" if kind == "prediction" else ""))
        ax.set_title(f"{task}\nBayes state: {runs.bayes_dim.iloc[0]} numbers", fontsize=9)
    axes[0].legend(fontsize=7, loc="best")
    fig.tight_layout()
    return fig


def plot_width(speed: pd.DataFrame) -> plt.Figure:
    """One panel per task: updates until eq. 2 / eq. 3 first reaches claim 1's bound (every
    seed, and the median over the seeds that reach it; seeds that never do sit at the top
    edge) and until it is within the factor of its own final value (median), against the
    LSTM width."""
    tasks = list(dict.fromkeys(speed.task))
    fig, axes = _panels(len(tasks))
    for ax, task in zip(axes, tasks, strict=True):
        runs = speed[speed.task == task]
        last = runs.final_update.max()
        reached = runs.updates_to_bound.fillna(2 * last)  # never: drawn above the last update
        medians = runs.groupby("width").updates_to_bound.median()
        _seeds_and_median(ax, runs.width, reached, medians, "to claim 1's bound (median)")
        own = runs.groupby("width").updates.median()
        ax.plot(
            own.index,
            own.to_numpy(),
            "s--",
            color="#e08e0b",
            ms=4,
            label="to within the factor of its final value (median)",
        )
        ax.axhline(last, color="black", ls=":", lw=1, label="last update")
        ax.set_yscale("symlog", linthresh=10)
        ax.set_ylim(bottom=0)
        ax.set_ylabel(f"updates ({runs.measure.iloc[0]})")
        ax.set_title(task, fontsize=9)
    axes[0].legend(fontsize=7, loc="best")
    fig.tight_layout()
    return fig


def _panels(n: int) -> tuple[plt.Figure, list]:
    fig, axes = plt.subplots(1, n, figsize=(3.6 * n, 3.4), squeeze=False)
    for ax in axes[0]:
        ax.set_xscale("log", base=2)
        ax.set_xlabel("LSTM width N")
    return fig, list(axes[0])


def _seeds_and_median(ax, widths, values, medians: pd.Series, label: str) -> None:
    ax.scatter(widths, values, s=12, color=SEED_COLOUR, zorder=3, label="seeds")
    ax.plot(medians.index, medians.to_numpy(), "o-", color=MEDIAN_COLOUR, zorder=4, label=label)
    ax.set_xticks(medians.index, [str(w) for w in medians.index])


def _shade_small_memory(ax, runs: pd.DataFrame) -> None:
    """Shade the widths whose state (c, h) has fewer numbers than the Bayes state."""
    small = np.unique(runs.width[runs.memory_dim < runs.bayes_dim])
    if small.size:
        ax.axvspan(
            small.min() / 1.4,
            small.max() * 1.4,
            color="#f3d9d6",
            zorder=0,
            label="2N < Bayes state",
        )
