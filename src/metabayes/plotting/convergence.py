"""Figure 2 of the paper and its per-task versions, from convergence files."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm, Normalize

from metabayes.convergence_files import ConvergenceFile

PROGRESS = plt.get_cmap("viridis")
OPT_COLOUR = "#d62728"

_WITHIN_LABELS = {
    "prediction": "KL(Opt ‖ RNN) at step t",
    "bandit": "|expected-reward gap| at step t",
}
_PERFORMANCE_LABELS = {
    "prediction": "log-loss per episode",
    "bandit": "cumulative regret per episode",
}
_DISTANCE_LABELS = {
    "prediction": "Jensen–Shannon divergence",
    "bandit": "|difference of cumulative regret|",
}


def plot_convergence(files: Sequence[ConvergenceFile]) -> plt.Figure:
    """One row per task (paper Fig. 2a, 2b): the within-episode dissimilarity of the first
    run over training, the MDS trajectories of all runs towards Opt, and the training curves
    of all runs."""
    fig = plt.figure(figsize=(16, 4.4 * len(files)), layout="constrained")
    rows = fig.subfigures(len(files), 1, squeeze=False)[:, 0]
    for row, letter, file in zip(rows, _letters(len(files)), files, strict=True):
        axes = row.subplots(1, 3)
        _within_panel(row, axes[0], file)
        _mds_panel(row, axes[1], file)
        _training_panel(axes[2], file)
        c = file.convergence
        row.suptitle(f"{letter}{c.task}", x=0.01, ha="left", fontsize=11, fontweight="bold")
    return fig


def _letters(n: int) -> list[str]:
    return [f"({chr(ord('a') + i)}) " for i in range(n)] if n > 1 else [""]


def _within_panel(fig, ax, file: ConvergenceFile) -> None:
    c = file.convergence
    updates, within = c.updates, c.within[0]
    positive = within[within > 0]
    top = positive.max() if len(positive) else 1.0
    bottom = max(positive.min() if len(positive) else top, top * 1e-4)
    image = ax.imshow(
        np.clip(within, bottom, None),
        aspect="auto",
        origin="lower",
        cmap="magma",
        norm=LogNorm(bottom, top),
        extent=(0.5, within.shape[1] + 0.5, -0.5, len(updates) - 0.5),
        interpolation="nearest",
    )
    ticks = _tick_rows(len(updates))
    ax.set_yticks(ticks, [f"{updates[i]:,}" for i in ticks], fontsize=8)
    ax.set_ylabel("training update (checkpoint)", fontsize=9)
    ax.set_xlabel("step t in the episode", fontsize=9)
    ax.set_title(f"within-episode dissimilarity from Opt, seed {c.seeds[0]}", fontsize=10)
    fig.colorbar(image, ax=ax, shrink=0.9).set_label(_WITHIN_LABELS[c.kind], fontsize=8)


def _tick_rows(n: int, most: int = 6) -> list[int]:
    return sorted(set(np.linspace(0, n - 1, min(n, most)).round().astype(int).tolist()))


def _mds_panel(fig, ax, file: ConvergenceFile) -> None:
    c = file.convergence
    xy = c.embedding.coordinates
    updates = c.updates
    n_checkpoints = len(updates)
    norm = Normalize(0, n_checkpoints - 1)
    for seed in c.seeds:
        rows = np.flatnonzero(c.points.seeds == seed)
        ax.plot(*xy[rows].T, color="0.6", linewidth=0.8, zorder=1)
        ax.scatter(
            *xy[rows].T,
            c=np.arange(len(rows)),
            cmap=PROGRESS,
            norm=norm,
            s=16,
            zorder=2,
            linewidths=0,
        )
    opt = xy[c.points.opt]
    ax.scatter(
        *opt,
        marker="*",
        s=180,
        color=OPT_COLOUR,
        edgecolors="black",
        linewidths=0.6,
        zorder=3,
        label="Bayes-optimal agent",
    )
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_title(
        f"MDS of {_DISTANCE_LABELS[c.kind]}, {len(c.seeds)} runs (stress {c.embedding.stress:.2f})",
        fontsize=10,
    )
    ax.legend(loc="best", fontsize=8, frameon=False)
    ax.set_xticks([])
    ax.set_yticks([])
    bar = fig.colorbar(plt.cm.ScalarMappable(norm, PROGRESS), ax=ax, shrink=0.9)
    ticks = _tick_rows(n_checkpoints)
    bar.set_ticks(ticks, labels=[f"{updates[i]:,}" for i in ticks])
    bar.ax.tick_params(labelsize=7)
    bar.set_label("update", fontsize=8)


def _training_panel(ax, file: ConvergenceFile) -> None:
    c = file.convergence
    updates = c.updates
    for seed, values in zip(c.seeds, c.performance, strict=True):
        ax.plot(
            updates,
            values,
            marker="o",
            markersize=2.5,
            linewidth=0.9,
            alpha=0.8,
            label=None if len(c.seeds) > 1 else f"seed {seed}",
        )
    ax.axhline(
        c.opt_performance,
        color=OPT_COLOUR,
        linestyle="--",
        linewidth=1,
        label="Bayes-optimal agent",
    )
    ax.set_xscale("symlog", linthresh=max(1, int(updates[1]) if len(updates) > 1 else 1))
    ax.set_xlim(0, updates[-1] * 1.05)
    ax.set_xlabel("training update (checkpoint)", fontsize=9)
    ax.set_ylabel(_PERFORMANCE_LABELS[c.kind], fontsize=9)
    ax.set_title(f"training curves on the evaluation episodes, {len(c.seeds)} runs", fontsize=10)
    ax.legend(fontsize=8, frameon=False)
    ax.grid(linewidth=0.4, alpha=0.5)
