"""What each rule's jobs needed (their benchmark files) beside what the SLURM profile asks for.

Reads ``<results>/benchmarks/<rule>/**.tsv`` (written by every job rule) and prints per rule:
jobs, median and longest wall time, peak memory, core-hours, and the profile's first-attempt
memory and time with the headroom they leave (request / measured peak). A headroom below 1
means the request is too small for what was measured. The totals are the run's core-hours.

With ``--seeds N`` it also estimates each rule's core-hours with N training seeds per task
(:func:`metabayes.resources.scale_to_seeds`), e.g. the paper's 10 from a run of one seed of
every task; ``--stacking-gain`` is the speed-up per seed of stacked prediction training
(1 if not measured: an upper bound), and the convergence analysis is scaled as its pairwise
distances (an upper bound where they are not what it spends its time on).

    python benchmarks/rule_resources.py                     # results/ of the last run
    python benchmarks/rule_resources.py --results /tmp/fresh/results
    python benchmarks/rule_resources.py --seeds 10 --stacking-gain 1.5   # presets/one_seed.yaml
"""

from __future__ import annotations

import argparse
import os

import pandas as pd

from metabayes.config import load_config
from metabayes.resources import (
    measured_needs,
    profile_requests,
    read_benchmarks,
    scale_to_seeds,
    seeds_per_task,
)
from metabayes.settings import Settings

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default="results")
    parser.add_argument("--profile", default=os.path.join(REPO, "profiles", "slurm"))
    parser.add_argument("--seeds", type=int, help="estimate the core-hours with this many seeds")
    parser.add_argument("--stacking-gain", type=float, default=1.0)
    parser.add_argument(
        "--config", default=os.path.join(REPO, "config.yaml"), help="checkpoints per run"
    )
    args = parser.parse_args()

    benchmarks = read_benchmarks(args.results)
    if benchmarks.empty:
        raise SystemExit(f"no benchmark files under {args.results}/benchmarks")
    needs = measured_needs(benchmarks)
    requests = profile_requests(args.profile, attempt=1)
    needs["request_mem_mb"] = [requests[r].mem_mb if r in requests else None for r in needs.index]
    needs["request_min"] = [requests[r].runtime_min if r in requests else None for r in needs.index]
    needs["mem_headroom"] = needs.request_mem_mb / needs.max_rss_mb
    needs["time_headroom"] = needs.request_min * 60 / needs.max_s
    if args.seeds:
        try:
            measured = seeds_per_task(benchmarks)
        except ValueError as error:
            raise SystemExit(f"--seeds: {error}") from None
        settings = Settings.from_config(load_config([args.config]))
        checkpoints = {kind: s.n_checkpoints for kind, s in settings.training.items()}
        scaled = scale_to_seeds(benchmarks, measured, args.seeds, checkpoints, args.stacking_gain)
        needs[f"core_hours_{args.seeds}_seeds"] = scaled
    with pd.option_context("display.width", 200, "display.max_columns", None):
        print(needs.round(2).to_string())
    print(f"\n{len(benchmarks)} jobs, {needs.core_hours.sum():.2f} core-hours in all")
    if args.seeds:
        print(
            f"with {args.seeds} seeds instead of {measured} (stacking gain "
            f"{args.stacking_gain:g}): about {scaled.sum():.1f} core-hours"
        )
    short = needs[(needs.mem_headroom < 1) | (needs.time_headroom < 1)]
    if not short.empty:
        print(f"requests below the measured need: {', '.join(short.index)}")


if __name__ == "__main__":
    main()
