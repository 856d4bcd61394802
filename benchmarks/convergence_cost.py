"""Cost of the convergence analysis at paper scale, and what averaging over fewer episodes loses.

Reads the workflow's traces (``results/``) of each task and repeats its available seeds until
there are ``--runs`` runs (10 at paper scale: 10 × 20 checkpoints + Opt = 201 points), then
times :func:`metabayes.analysis.convergence.analyse` (wall and CPU time) for each
``--episodes`` setting. It also prints, for the final checkpoints, how far the distance to Opt
averaged over the first n episodes is from the one over all K episodes: the sampling error
that ``convergence.n_episodes`` trades against time.

    python benchmarks/convergence_cost.py gaussian_normal_gamma_1 bernoulli_bandit_beta_1_1 \\
        --runs 10 --episodes 50 100 200
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import numpy as np

from metabayes.analysis.convergence import analyse
from metabayes.tasks import PREDICTION_TASKS
from metabayes.traces import read_trace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="+")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--episodes", type=int, nargs="+", default=[100])
    parser.add_argument("--results", default="results")
    args = parser.parse_args()
    for task in args.tasks:
        paths = sorted(Path(args.results, "traces", task).glob("seed*.h5"))
        traces = [read_trace(path, states=False) for path in paths]
        runs = [dataclasses.replace(traces[i % len(traces)], seed=i) for i in range(args.runs)]
        family = PREDICTION_TASKS[task].model.family if task in PREDICTION_TASKS else None
        K = len(traces[0].theta)
        reference = analyse(traces, family, K, max_iter=3000).distance_to_opt()
        final = [i for i, label in enumerate(_labels(traces)) if label == "final"]
        for n in args.episodes:
            start, cpu = time.perf_counter(), time.process_time()
            result = analyse(runs, family, n, max_iter=3000)
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
            sample = analyse(traces, family, n, max_iter=3000).distance_to_opt()
            error = np.abs(sample[final] / reference[final] - 1)
            print(
                f"{task}: {len(result.points.labels)} points, {n} episodes: "
                f"{elapsed:.1f} s wall, {cpu:.1f} s CPU (stress {result.embedding.stress:.3f}); "
                f"final checkpoints' distance to Opt within {error.max():.0%} of that over all "
                f"{K} episodes"
            )


def _labels(traces) -> list[str]:
    return [label for trace in traces for label in trace.labels] + ["opt"]


if __name__ == "__main__":
    main()
