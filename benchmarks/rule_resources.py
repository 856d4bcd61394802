"""What each rule's jobs needed (their benchmark files) beside what the SLURM profile asks for.

Reads ``<results>/benchmarks/<rule>/**.tsv`` (written by every job rule) and prints per rule:
jobs, median and longest wall time, peak memory, core-hours, and the profile's first-attempt
memory and time with the headroom they leave (request / measured peak). A headroom below 1
means the request is too small for what was measured. The totals are the run's core-hours.

    python benchmarks/rule_resources.py                     # results/ of the last run
    python benchmarks/rule_resources.py --results /tmp/fresh/results
"""

from __future__ import annotations

import argparse
import os

import pandas as pd

from metabayes.resources import measured_needs, profile_requests, read_benchmarks

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default="results")
    parser.add_argument("--profile", default=os.path.join(REPO, "profiles", "slurm"))
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
    with pd.option_context("display.width", 200, "display.max_columns", None):
        print(needs.round(2).to_string())
    print(f"\n{len(benchmarks)} jobs, {needs.core_hours.sum():.2f} core-hours in all")
    short = needs[(needs.mem_headroom < 1) | (needs.time_headroom < 1)]
    if not short.empty:
        print(f"requests below the measured need: {', '.join(short.index)}")


if __name__ == "__main__":
    main()
