"""The memory-size experiments of the paper's appendix: behaviour by LSTM width.

App. D.7 shows "reduced-memory agents, which cannot retain enough information to perform
optimally" (§4.1), and App. D.3 the "preliminary ablations that investigate convergence speed
of training" behind the choice of architecture (§3.1, footnote 4). The appendix is not
available to us; these are our versions of both, from the behaviour tables (one row per
checkpoint) of runs trained at several LSTM widths N with otherwise the main settings:

- :func:`memory_table`: per task, width and seed, the final eq. 2 / eq. 3 beside the untrained
  one and the floor of an agent without memory (the best constant predictor, the random
  policy), with the memory's size (the 2N numbers of (c, h)) and the Bayes state's;
- :func:`speed_table`: per task, width and seed, the updates until eq. 2 / eq. 3 first comes
  within a factor of its final value (convergence speed).

The claim of App. D.7 is checked from the memory table in :mod:`metabayes.analysis.claims`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from metabayes.analysis.claims import BEHAVIOUR_SMALL
from metabayes.kinds import kind_of
from metabayes.tasks import TASKS, task_kind


@dataclass(frozen=True)
class Measure:
    """A kind's behavioural measure in its behaviour tables, and its memoryless floor."""

    column: str  # the measure per checkpoint
    se: str | None  # its standard error, where it is a noisy mean
    floor: str  # the measure of the best agent without memory (same on every row)
    name: str  # how figures and tables name the measure
    floor_name: str  # and the floor


MEASURES = {
    "prediction": Measure("kl_sum", None, "constant_kl_sum", "eq. 2", "best constant predictor"),
    "bandit": Measure("eq3", "eq3_se", "random_eq3", "eq. 3", "random policy"),
}


def bayes_state_dim(task: str) -> int:
    """Numbers in the Bayes-optimal agent's state: the sufficient statistics of the task's
    conjugate model (prediction), of both arms' (bandits)."""
    return sum(model.stats_dim for model in kind_of(task).state_models(TASKS[task]))


@dataclass(frozen=True)
class _Run:
    """One run's rows of a behaviour table, with what both tables read from them."""

    task: str
    kind: str
    measure: Measure
    width: int
    seed: int
    rows: pd.DataFrame  # its checkpoints, by update
    final: pd.Series  # its final checkpoint's row


def _runs(behaviour: Sequence[pd.DataFrame], widths: Sequence[int]) -> list[_Run]:
    """Every run of the behaviour tables, each table's runs at the width of its position."""
    runs = []
    for table, width in zip(behaviour, widths, strict=True):
        for (task, seed), rows in table.groupby(["task", "seed"], sort=True):
            kind = task_kind(task)
            rows = rows.sort_values("update")
            final = rows[rows.checkpoint == "final"].iloc[0]
            runs.append(_Run(task, kind, MEASURES[kind], width, seed, rows, final))
    return runs


def memory_table(
    behaviour: Sequence[pd.DataFrame], widths: Sequence[int], main_width: dict[str, int]
) -> pd.DataFrame:
    """Final and untrained behaviour of every run of every width, one row per run.

    Args:
        behaviour: behaviour tables (rows of one task's runs at one width), in the order of
            ``widths``; only their ``init`` and ``final`` rows are read.
        widths: the LSTM width of each table.
        main_width: per kind, the width of the main runs.

    Columns: task, kind, measure, width, memory_dim (2N), bayes_dim, main (the main width),
    seed, untrained, final, final_se (NaN where the measure is exact), floor (the measure of
    the best agent without memory), floor_name, final_update.
    """
    rows = []
    for run in _runs(behaviour, widths):
        measure, final = run.measure, run.final
        init = run.rows[run.rows.checkpoint == "init"].iloc[0]
        rows.append(
            {
                "task": run.task,
                "kind": run.kind,
                "measure": measure.name,
                "width": run.width,
                "memory_dim": 2 * run.width,
                "bayes_dim": bayes_state_dim(run.task),
                "main": run.width == main_width[run.kind],
                "seed": run.seed,
                "untrained": init[measure.column],
                "final": final[measure.column],
                "final_se": final[measure.se] if measure.se else np.nan,
                "floor": final[measure.floor],
                "floor_name": measure.floor_name,
                "final_update": final["update"],
            }
        )
    return pd.DataFrame(rows).sort_values(["task", "width", "seed"], ignore_index=True)


def speed_table(
    behaviour: Sequence[pd.DataFrame], widths: Sequence[int], factor: float
) -> pd.DataFrame:
    """Convergence speed of every run of every width, one row per run.

    A run's speed is the update of its first checkpoint whose measure is within ``factor``
    of the run's final value, m ≤ factor × max(m_final, SE_final): a final eq. 3 below its
    standard error (a mean over K episodes) counts as that error, since it cannot be
    resolved further. Checkpoints are log-spaced, so the update is known to within the
    spacing of the checkpoints around it (``previous_update`` is the one before).

    Beside it, ``updates_to_bound``: the first checkpoint whose measure is within claim 1's
    bound (:data:`metabayes.analysis.claims.BEHAVIOUR_SMALL`), the same level for every width
    (NaN: never). With a learning rate annealed to 0 the measure can keep falling to the last
    update, and then the factor's criterion only finds the end of training.

    Columns: task, kind, measure, width, seed, final, threshold, updates (to within the
    factor), previous_update, updates_to_bound, final_update.
    """
    rows = []
    for run in _runs(behaviour, widths):
        measure, final = run.measure, run.final
        resolution = final[measure.se] if measure.se else 0.0
        threshold = factor * max(final[measure.column], resolution)
        values, updates = run.rows[measure.column].to_numpy(), run.rows["update"].to_numpy()
        within = np.flatnonzero(values <= threshold)[0]
        bounded = np.flatnonzero(values <= BEHAVIOUR_SMALL[run.kind])
        rows.append(
            {
                "task": run.task,
                "kind": run.kind,
                "measure": measure.name,
                "width": run.width,
                "seed": run.seed,
                "final": final[measure.column],
                "threshold": threshold,
                "updates": updates[within],
                "previous_update": updates[within - 1] if within > 0 else np.nan,
                "updates_to_bound": updates[bounded[0]] if bounded.size else np.nan,
                "final_update": final["update"],
            }
        )
    return pd.DataFrame(rows).sort_values(["task", "width", "seed"], ignore_index=True)
