"""Convergence of meta-learners towards the Bayes-optimal agent over training (paper §3.3, §4.2).

Three views of the same runs of one task (paper Fig. 2):

- the **within-episode dissimilarity** of every checkpoint of a run from Opt, per step t:
  the per-step term of eq. 2 for prediction, and for bandits the per-step term of eq. 3 on
  expected rewards, |mean over episodes of Σ_a (π_t^Opt(a) − π_t^RNN(a)) θ_a| [choice: the
  expected rather than the sampled reward, as for D_o];
- **pairwise behavioural distances** between every (run, checkpoint) and Opt on the same
  evaluation episodes: for prediction the Jensen–Shannon divergence of the predictive
  distributions averaged over steps and episodes; for bandits the absolute difference of the
  cumulative regret Σ_t (max_a θ_a − θ_{a_t}) of an episode, averaged over episodes [choice:
  the paper says "absolute value of the cumulative regret"; per episode, with the shared
  reward tables and action uniforms, keeps the distance a metric that is 0 only between
  agents that act alike];
- one **metric MDS** embedding of all those points in 2-D, so every run is a trajectory;
- the **training curves** of all runs: each checkpoint's log-loss (prediction) or cumulative
  regret (bandits) per episode on the evaluation episodes, with Opt's on the same episodes
  [choice: measured at the checkpoints on fixed episodes, paired with Opt, rather than read
  from the training log, whose rows are means over noisy batches and start after the first
  ``log_every`` updates, by which time most of the learning has happened].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from metabayes.analysis.behaviour import prediction_dissimilarity, pseudo_regret
from metabayes.families import Family
from metabayes.tasks import task_kind
from metabayes.traces import AgentTrace, Trace

OPT = "opt"
"""Checkpoint label (and seed −1) of the Bayes-optimal agent's point."""


@dataclass(frozen=True)
class Points:
    """The points of the distance matrix: every (seed, checkpoint), then Opt last.

    Attributes:
        seeds: training seed of each point, −1 for Opt, shape (P,).
        labels: checkpoint label of each point ("opt" for Opt).
        updates: parameter updates of each point's checkpoint, −1 for Opt, shape (P,).
    """

    seeds: np.ndarray
    labels: tuple[str, ...]
    updates: np.ndarray

    @property
    def opt(self) -> int:
        """Index of the Opt point."""
        return len(self.labels) - 1


def run_points(traces: list[Trace]) -> Points:
    """The points of a task's runs in training order, seed by seed, then Opt."""
    seeds, labels, updates = [], [], []
    for trace in traces:
        for label in trace.labels:
            seeds.append(trace.seed)
            labels.append(label)
            updates.append(trace.rnn[label].update)
    return Points(np.array([*seeds, -1]), (*labels, OPT), np.array([*updates, -1], dtype=np.int64))


def check_same_episodes(traces: list[Trace]) -> None:
    """Runs are comparable only on the same evaluation episodes and checkpoint schedule.

    Raises:
        ValueError: naming the seed whose trace differs from the first.
    """
    first = traces[0]
    for trace in traces[1:]:
        same = (
            np.array_equal(trace.theta, first.theta)
            and np.array_equal(trace.opt.outputs, first.opt.outputs)
            and [trace.rnn[label].update for label in trace.labels]
            == [first.rnn[label].update for label in first.labels]
        )
        if not same:
            raise ValueError(
                f"{trace.task}: the trace of seed {trace.seed} has other evaluation episodes "
                f"or checkpoints than that of seed {first.seed}; rerun its trace step"
            )


# --------------------------------------------------------------------------------------------
# Within-episode dissimilarity
# --------------------------------------------------------------------------------------------


def prediction_within(trace: Trace, family: Family) -> np.ndarray:
    """Per-step eq. 2 term of every checkpoint, shape (checkpoints, T)."""
    return np.stack(
        [
            prediction_dissimilarity(trace.opt.outputs, trace.rnn[label].outputs, family)
            for label in trace.labels
        ]
    )


def bandit_within(trace: Trace) -> np.ndarray:
    """Per-step |mean over episodes of the expected-reward gap to Opt|, (checkpoints, T)."""
    opt = expected_rewards(trace.opt, trace.theta)
    return np.stack(
        [
            np.abs((opt - expected_rewards(trace.rnn[label], trace.theta)).mean(axis=0))
            for label in trace.labels
        ]
    )


def expected_rewards(agent: AgentTrace, theta: np.ndarray) -> np.ndarray:
    """Σ_a π_t(a) θ_a along the agent's own episodes, (K, T)."""
    return np.einsum("kta,ka->kt", agent.outputs, theta)


# --------------------------------------------------------------------------------------------
# Pairwise distances
# --------------------------------------------------------------------------------------------


def js_distances(family: Family, outputs: np.ndarray) -> np.ndarray:
    """Jensen–Shannon divergence between every pair of agents, averaged over their rows.

    Args:
        family: the predictive family of every agent.
        outputs: predictive parameters of n agents on the same rows (episodes × steps),
            shape (n, rows, n_params).

    Returns:
        Symmetric (n, n) matrix with zero diagonal, entries in [0, log 2].
    """
    halves = np.stack([family.mixture_kl(p, outputs).mean(axis=1) for p in outputs])
    distances = 0.5 * (halves + halves.T)
    np.fill_diagonal(distances, 0.0)
    return distances


def regret_distances(regrets: np.ndarray) -> np.ndarray:
    """Mean over episodes of |R_i − R_j|, for the cumulative regrets R of n agents on the same
    episodes, shape (n, K) → (n, n)."""
    return np.stack([np.abs(row - regrets).mean(axis=1) for row in regrets])


# --------------------------------------------------------------------------------------------
# Multidimensional scaling
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Embedding:
    """A 2-D metric MDS embedding and its quality.

    Attributes:
        coordinates: shape (P, 2).
        stress: Kruskal's stress-1, √(Σ (d̂ − d)² / Σ d̂²) over point pairs (0 is perfect;
            0.05 good, 0.1 fair, 0.2 poor).
    """

    coordinates: np.ndarray
    stress: float


def embed(distances: np.ndarray, max_iter: int) -> Embedding:
    """Metric MDS of a precomputed distance matrix in 2-D, by SMACOF started from the classical
    (Torgerson) solution, so deterministic."""
    coordinates, stress = smacof(distances, classical_mds(distances), max_iter)
    return Embedding(coordinates, stress)


SMACOF_EPS = 1e-9
"""SMACOF stops when an iteration lowers the raw stress by less than this fraction of half the
sum of squared embedded distances."""


def smacof(
    distances: np.ndarray, start: np.ndarray, max_iter: int, eps: float = SMACOF_EPS
) -> tuple[np.ndarray, float]:
    """Metric SMACOF (de Leeuw 1977; Borg & Groenen 2005, ch. 8): Guttman transforms of the
    configuration, from ``start`` (P, d), each of which does not increase the raw stress
    σ = ½ Σ_ij (d̂_ij − d_ij)² of the embedded distances d̂ against ``distances`` d.

    This is scikit-learn 1.9's ``smacof`` for metric MDS with a given start and Stress-1,
    written out (the same operations in the same order: on the matrices of this project's
    tests and of a quick run, the same coordinates and stress bit for bit), so that the
    convergence jobs do not import scikit-learn (1.4–2 s each).

    Returns:
        The configuration (P, d) and its Stress-1, √(σ / (½ Σ_ij d̂_ij²)).
    """
    n = len(distances)
    diagonal = np.arange(n)
    X = np.array(start, dtype=float, order="C")  # a C-ordered copy, as scikit-learn made
    embedded = _euclidean_distances(X)
    old_stress = None
    for _ in range(max_iter):
        embedded[embedded == 0] = 1e-5
        ratio = distances / embedded
        B = -ratio
        B[diagonal, diagonal] += ratio.sum(axis=1)
        X = 1.0 / n * np.dot(B, X)
        embedded = _euclidean_distances(X)
        stress = ((embedded.ravel() - distances.ravel()) ** 2).sum() / 2
        if old_stress is not None:
            if (old_stress - stress) / ((embedded.ravel() ** 2).sum() / 2) < eps:
                break
        old_stress = stress
    return X, float(np.sqrt(stress / ((embedded.ravel() ** 2).sum() / 2)))


def _euclidean_distances(X: np.ndarray) -> np.ndarray:
    """Pairwise Euclidean distances of the rows of X by ‖x‖² − 2 x·y + ‖y‖², clipped at 0,
    with a zero diagonal."""
    norms = np.einsum("ij,ij->i", X, X)[:, None]
    squared = -2 * (X @ X.T)
    squared += norms
    squared += norms.T
    np.maximum(squared, 0, out=squared)
    np.fill_diagonal(squared, 0)
    return np.sqrt(squared, out=squared)


def classical_mds(distances: np.ndarray, n_components: int = 2) -> np.ndarray:
    """Torgerson's classical scaling: the top eigenvectors of the double-centred squared
    distances, scaled by the square roots of their eigenvalues. Signs are fixed so that each
    coordinate's largest entry is positive.

    Distances that are not Euclidean can leave a top eigenvalue negative (scikit-learn's own
    ``init="classical_mds"`` returns NaN then); that coordinate starts as a fixed small
    perturbation instead, since SMACOF never leaves a line it starts on.
    """
    n = len(distances)
    centring = np.eye(n) - 1.0 / n
    gram = -0.5 * centring @ (distances**2) @ centring
    values, vectors = np.linalg.eigh(gram)
    top = np.argsort(values)[::-1][:n_components]
    coordinates = vectors[:, top] * np.sqrt(np.clip(values[top], 0.0, None))
    signs = np.sign(coordinates[np.abs(coordinates).argmax(axis=0), range(n_components)])
    coordinates = coordinates * np.where(signs == 0, 1.0, signs)
    flat = values[top] <= 1e-12 * max(values.max(), 1e-300)
    if flat.any():
        jitter = np.random.default_rng(0).standard_normal((n, int(flat.sum())))
        coordinates[:, flat] = 1e-3 * distances.max() * jitter
    return coordinates


def canonical_pose(coordinates: np.ndarray, origin: int, start: np.ndarray) -> np.ndarray:
    """Fix MDS's free rotation, reflection and translation, for figures that read alike.

    The ``origin`` point (Opt) goes to (0, 0), the centroid of the ``start`` points (the
    untrained checkpoints) onto the positive x-axis, and the reflection is chosen so that the
    remaining points have a non-negative mean y.
    """
    centred = coordinates - coordinates[origin]
    direction = centred[start].mean(axis=0)
    angle = np.arctan2(direction[1], direction[0])
    c, s = np.cos(-angle), np.sin(-angle)
    rotated = centred @ np.array([[c, s], [-s, c]])
    rest = np.setdiff1d(np.arange(len(coordinates)), np.append(start, origin))
    if len(rest) and rotated[rest, 1].mean() < 0:
        rotated[:, 1] *= -1
    return rotated


# --------------------------------------------------------------------------------------------
# One task's runs
# --------------------------------------------------------------------------------------------


@dataclass
class Convergence:
    """What Figure 2 shows for one task: all its runs and Opt.

    Attributes:
        task, kind: the task and "prediction" or "bandit".
        points: the (seed, checkpoint) points and Opt, in the order of the matrices.
        distances: pairwise behavioural distances (P, P).
        embedding: the MDS embedding of ``distances`` in its canonical pose.
        within: within-episode dissimilarity per seed, checkpoint and step, (S, C, T).
        performance: the training curve of every run, (S, C): its log-loss (prediction) or
            cumulative regret (bandits) per episode at every checkpoint, on all evaluation
            episodes.
        opt_performance: Opt's value of the same on the same episodes.
        n_episodes: evaluation episodes the distances average over.
    """

    task: str
    kind: str
    points: Points
    distances: np.ndarray
    embedding: Embedding
    within: np.ndarray
    performance: np.ndarray
    opt_performance: float
    n_episodes: int

    @property
    def seeds(self) -> list[int]:
        return list(dict.fromkeys(int(s) for s in self.points.seeds[:-1]))

    @property
    def updates(self) -> np.ndarray:
        """The checkpoints' parameter updates (the same for every run), shape (C,)."""
        return self.points.updates[self.points.seeds == self.seeds[0]]

    def distance_to_opt(self) -> np.ndarray:
        """Distance of every point to Opt, shape (P,)."""
        return self.distances[self.points.opt]


DISTANCE_MEASURES = {"prediction": "jensen_shannon", "bandit": "cumulative_regret_difference"}
WITHIN_MEASURES = {"prediction": "kl_per_step", "bandit": "expected_reward_gap_per_step"}
PERFORMANCE_MEASURES = {"prediction": "log_loss_per_episode", "bandit": "regret_per_episode"}


def analyse(
    traces: list[Trace], family: Family | None, n_episodes: int, max_iter: int
) -> Convergence:
    """Within-episode dissimilarities, pairwise distances and their MDS for one task's runs.

    Args:
        traces: one trace per training seed, on the same evaluation episodes.
        family: the predictive family (prediction tasks), None for bandits.
        n_episodes: the distances average over the first this-many evaluation episodes (all
            if there are fewer).
        max_iter: SMACOF iterations at most.
    """
    check_same_episodes(traces)
    task = traces[0].task
    kind = task_kind(task)
    points = run_points(traces)
    episodes = slice(0, min(n_episodes, len(traces[0].theta)))
    # The agents in the order of the points: every run's checkpoints, then Opt.
    agents = [trace.rnn[label] for trace in traces for label in trace.labels] + [traces[0].opt]
    if kind == "prediction":
        outputs = np.stack([agent.outputs[episodes] for agent in agents])
        distances = js_distances(family, outputs.reshape(len(outputs), -1, outputs.shape[-1]))
        within = np.stack([prediction_within(trace, family) for trace in traces])
        performance = np.array(
            [log_loss(agent, traces[0].observations, family) for agent in agents]
        )
    else:
        regrets = np.stack(
            [pseudo_regret(agent.actions, traces[0].theta).sum(axis=1) for agent in agents]
        )
        distances = regret_distances(regrets[:, episodes])
        within = np.stack([bandit_within(trace) for trace in traces])
        performance = regrets.mean(axis=1)
    fitted = embed(distances, max_iter)
    start = np.flatnonzero(points.updates == 0)
    pose = canonical_pose(fitted.coordinates, points.opt, start)
    return Convergence(
        task=task,
        kind=kind,
        points=points,
        distances=distances,
        embedding=Embedding(pose, fitted.stress),
        within=within,
        performance=performance[:-1].reshape(len(traces), -1),
        opt_performance=float(performance[-1]),
        n_episodes=episodes.stop,
    )


def log_loss(agent: AgentTrace, observations: np.ndarray, family: Family) -> float:
    """Mean over episodes of −Σ_t log q_t(x_t), the training objective (paper §3.1)."""
    return float(-family.logpdf(agent.outputs, observations).sum(axis=1).mean())


def convergence_table(convergence: Convergence, provenance: dict[str, str]) -> pd.DataFrame:
    """One row per (seed, checkpoint): its distance to Opt and MDS coordinates.

    Columns: task, seed, checkpoint, update, distance_to_opt, mds_x, mds_y, then the
    ``provenance`` columns (config_hash, code_version).
    """
    points, runs = convergence.points, slice(0, convergence.points.opt)
    coordinates = convergence.embedding.coordinates[runs]
    return pd.DataFrame(
        {
            "task": convergence.task,
            "seed": points.seeds[runs],
            "checkpoint": points.labels[runs],
            "update": points.updates[runs],
            "distance_to_opt": convergence.distance_to_opt()[runs],
            "mds_x": coordinates[:, 0],
            "mds_y": coordinates[:, 1],
            **provenance,
        }
    )
