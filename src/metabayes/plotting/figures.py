"""Figures 3 and 4 of the paper from the workflow's tables and comparison files."""

from __future__ import annotations

import os
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from metabayes.analysis.summary import COLUMNS  # noqa: E402
from metabayes.comparison_files import ComparisonFile  # noqa: E402
from metabayes.io import atomic_path  # noqa: E402
from metabayes.tasks import task_kind  # noqa: E402
from metabayes.training.checkpoints import COMPARED  # noqa: E402

CHECKPOINT_COLOURS = {"init": "#b0b0b0", "final": "#1f6fb4"}
N_EPISODE_LINES = 3


def save(figure: plt.Figure, path: str | os.PathLike) -> None:
    """Save atomically in the format of the file name's suffix, and close.

    PDF and SVG files carry no creation date, so the same figure gives the same bytes.
    """
    suffix = os.path.splitext(path)[1].lstrip(".") or "pdf"
    undated = {"pdf": {"CreationDate": None}, "svg": {"Date": None}}.get(suffix)
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format=suffix, bbox_inches="tight", dpi=200, metadata=undated)
    plt.close(figure)


# --------------------------------------------------------------------------------------------
# Figure 4: every task × (behaviour, D_s and D_o in both directions), init vs final
# --------------------------------------------------------------------------------------------


def plot_fig4(table: pd.DataFrame) -> plt.Figure:
    """Horizontal bars per task (rows) and column (panels a–e): median over seeds at init and
    final, error bars from the 5 % to the 95 % quantile, on a logarithmic axis."""
    tasks = list(dict.fromkeys(table.task))
    fig, axes = plt.subplots(
        1, len(COLUMNS), figsize=(2.6 * len(COLUMNS) + 2.2, 0.42 * len(tasks) + 1.6), sharey=True
    )
    y = np.arange(len(tasks))
    for letter, ax, (column, label) in zip("abcde", axes, COLUMNS.items(), strict=True):
        part = table[table.column == column].set_index(["task", "checkpoint"])
        floor = _log_floor(part)
        for offset, checkpoint in zip((-0.2, 0.2), COMPARED, strict=True):  # init on top
            rows = part.xs(checkpoint, level="checkpoint").loc[tasks]
            median = np.maximum(rows["median"].to_numpy(), floor)
            low = np.maximum(rows.q05.to_numpy(), floor)
            high = np.maximum(rows.q95.to_numpy(), floor)
            ax.barh(
                y + offset,
                median - floor,
                left=floor,
                height=0.38,
                color=CHECKPOINT_COLOURS[checkpoint],
                label=checkpoint,
            )
            ax.errorbar(
                median,
                y + offset,
                xerr=[median - low, high - median],
                fmt="none",
                ecolor="black",
                elinewidth=0.8,
                capsize=1.5,
            )
        ax.set_xscale("log")
        ax.set_xlim(left=floor)
        ax.set_title(f"({letter}) {label}", fontsize=10)
        ax.set_xlabel(_UNITS[column], fontsize=8)
        ax.grid(axis="x", which="major", linewidth=0.4, alpha=0.5)
        if 0 < _first_bandit_row(tasks) < len(tasks):
            ax.axhline(_first_bandit_row(tasks) - 0.5, color="black", linewidth=0.6)
    axes[0].set_yticks(y, [t.replace("_", " ") for t in tasks], fontsize=8.5)
    axes[0].invert_yaxis()
    n_seeds = int(table.n_seeds.min()), int(table.n_seeds.max())
    seeds = f"{n_seeds[0]}" if n_seeds[0] == n_seeds[1] else f"{n_seeds[0]}–{n_seeds[1]}"
    fig.legend(
        handles=[
            Line2D([], [], color=CHECKPOINT_COLOURS[c], linewidth=6, label=c) for c in COMPARED
        ],
        loc="upper right",
        ncol=2,
        frameon=False,
    )
    fig.suptitle(
        f"Behavioural and structural dissimilarity to Opt (median over {seeds} seeds, "
        "5–95 % quantiles; prediction tasks above the line, bandits below)",
        x=0.02,
        ha="left",
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return fig


_UNITS = {
    "behaviour": "eq. 2 (nats) / eq. 3 (reward)",
    "rnn_to_opt_d_s": "MSE, whitened units",
    "rnn_to_opt_d_o": "eq. 2 / eq. 3 form",
    "opt_to_rnn_d_s": "MSE, whitened units",
    "opt_to_rnn_d_o": "eq. 2 / eq. 3 form",
}


def _log_floor(part: pd.DataFrame) -> float:
    """Left edge of a log axis: a decade below the smallest positive value shown."""
    values = part[["median", "q05", "q95"]].to_numpy().ravel()
    positive = values[values > 0]
    smallest = positive.min() if len(positive) else 1e-3
    return 10 ** np.floor(np.log10(smallest) - 0.5)


def _first_bandit_row(tasks: Sequence[str]) -> int:
    bandits = [i for i, task in enumerate(tasks) if task_kind(task) == "bandit"]
    return bandits[0] if bandits else len(tasks)


# --------------------------------------------------------------------------------------------
# Figure 3: state spaces and embeddings coloured by output
# --------------------------------------------------------------------------------------------

_PANELS = (
    # (row, column), what is drawn (an agent's states or an embedding direction), title
    ((0, 0), "opt", "Opt states"),
    ((0, 1), "rnn_to_opt", "RNN → Opt\n(RNN states embedded in Opt's)"),
    ((1, 0), "opt_to_rnn", "Opt → RNN\n(Opt states embedded in the RNN's)"),
    ((1, 1), "rnn", "RNN states"),
)


def plot_fig3(
    files: Sequence[ComparisonFile],
    labels: Sequence[str] | None = None,
    lines: Sequence[np.ndarray] | None = None,
) -> plt.Figure:
    """For each comparison file, four panels as the paper's Figure 3: the Opt and RNN state
    spaces on their first two whitened principal components, and the two embeddings, each
    point coloured by the output emitted there (for embeddings, the output at the embedded
    state); held-out episodes only, some drawn as lines, and D_s printed.

    Args:
        files: the comparison files, one block each.
        labels: the checkpoint each block draws (default: final).
        lines: the episodes each block draws as lines (default: the first three held out).
    """
    labels = ["final"] * len(files) if labels is None else labels
    if lines is None:
        lines = [f.split.test[:N_EPISODE_LINES] for f in files]
    fig = plt.figure(figsize=(5.2 * len(files), 5.6))
    grids = fig.add_gridspec(1, len(files), wspace=0.18)
    for grid, comparison, label, episodes in zip(grids, files, labels, lines, strict=True):
        _fig3_block(fig, grid, comparison, label, episodes)
    return fig


def _fig3_block(fig, grid, comparison: ComparisonFile, label: str, lines: np.ndarray) -> None:
    checkpoint = comparison.checkpoints[label]
    test = comparison.split.test
    cells = grid.subgridspec(2, 2, hspace=0.32, wspace=0.12)
    for (row, col), key, title in _PANELS:
        ax = fig.add_subplot(cells[row, col])
        if key in ("opt", "rnn"):
            points, outputs = checkpoint.projected[key], checkpoint.outputs[key]
        else:
            embedding = checkpoint.embeddings[key]
            points, outputs = embedding.embedded, embedding.outputs
            ax.text(
                0.03,
                0.97,
                f"MSE (D_s) {embedding.d_s:.3g}",
                transform=ax.transAxes,
                va="top",
                fontsize=8,
                bbox={"facecolor": "white", "alpha": 0.8, "linewidth": 0},
            )
        colours = output_colours(outputs[test].reshape(-1, outputs.shape[-1]))
        xy = points[test].reshape(-1, points.shape[-1])
        ax.scatter(xy[:, 0], xy[:, 1], c=colours, s=6, linewidths=0, rasterized=True)
        for episode in lines:
            ax.plot(*points[episode, :, :2].T, color="white", linewidth=1.6)
            ax.plot(*points[episode, :, :2].T, color="black", linewidth=0.6)
        ax.set_title(title, fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("PC 1", fontsize=7, labelpad=1)
        ax.set_ylabel("PC 2", fontsize=7, labelpad=1)
    ax0 = fig.add_subplot(grid, frameon=False)
    ax0.set_xticks([])
    ax0.set_yticks([])
    ax0.set_title(
        f"{comparison.task} (seed {comparison.seed}, {label}, update {checkpoint.update})\n"
        f"{_colour_legend(checkpoint.outputs['opt'], comparison.attrs)}",
        fontsize=9,
        pad=36,
    )


def output_colours(outputs: np.ndarray) -> np.ndarray:
    """RGBA colours of outputs (m, P): probability vectors over 3 outcomes as RGB; over 2
    (bandit actions) by P(second) on a diverging map; otherwise the first parameter."""
    probabilities = _probabilities(outputs)
    if probabilities and outputs.shape[-1] == 3:
        return np.column_stack([np.clip(outputs, 0, 1), np.ones(len(outputs))])
    if probabilities and outputs.shape[-1] == 2:
        return plt.get_cmap("coolwarm")(outputs[:, 1])
    value = outputs[:, 0]
    span = np.ptp(value) or 1.0
    return plt.get_cmap("viridis")((value - value.min()) / span)


def _probabilities(outputs: np.ndarray) -> bool:
    """Whether outputs (..., P) are probability vectors."""
    return bool(np.allclose(outputs.sum(axis=-1), 1.0) and np.all(outputs >= 0))


def _colour_legend(outputs: np.ndarray, attrs: dict) -> str:
    """The legend of :func:`output_colours` for these outputs."""
    if attrs.get("kind") == "bandit":
        return "colour: P(arm 1), blue 0 → red 1"
    if outputs.shape[-1] == 3 and _probabilities(outputs):
        return "colour: predictive probabilities (p0, p1, p2) as (red, green, blue)"
    return "colour: first predictive parameter (viridis)"
