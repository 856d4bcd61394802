"""Two runs' costs side by side, stage by stage (run on demand).

Reads the Snakemake benchmark files of two results folders, typically one config run by an
earlier version of the pipeline and by this one, and prints per stage of the pipeline
(:data:`metabayes.resources.STAGES`) the jobs and CPU seconds of each run and how many times
cheaper the second is. Stages group rules by what they compute, so versions whose rules were
merged or split (per-seed ``train_predictor`` jobs, per-task ``train_predictors``) compare
like for like.

The machine's speed varies from day to day (README, "On a SLURM cluster"), so compare runs
made at the same time: e.g. both side by side, each with one core (README, "Against the code
before, on the same day", has the complete commands, with the config file they share):

    git worktree add ../before <commit>
    (cd ../before && snakemake --cores 1 --configfile ../ab.yaml) &
    snakemake --cores 1 --configfile ../ab.yaml; wait
    python benchmarks/compare_costs.py ../before/results results --labels before after
"""

from __future__ import annotations

import argparse

from metabayes.resources import compare_stage_costs, read_benchmarks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first", help="results folder of the first run (e.g. before)")
    parser.add_argument("second", help="results folder of the second run (e.g. after)")
    parser.add_argument("--labels", nargs=2, default=("first", "second"))
    args = parser.parse_args()

    runs = []
    for results in (args.first, args.second):
        rows = read_benchmarks(results)
        if rows.empty:
            raise SystemExit(f"no benchmark files under {results}/benchmarks")
        runs.append(rows)
    table = compare_stage_costs(*runs, labels=tuple(args.labels))
    first, second = args.labels
    print(f"| stage | {first} jobs | {second} jobs | {first} CPU s | {second} CPU s | ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    for stage, row in table.iterrows():
        print(
            f"| {stage} | {row[(first, 'jobs')]:.0f} | {row[(second, 'jobs')]:.0f} | "
            f"{row[(first, 'cpu_s')]:.0f} | {row[(second, 'cpu_s')]:.0f} | "
            f"{row[('', 'ratio')]:.2f}× |"
        )


if __name__ == "__main__":
    main()
