"""What jobs need and what the SLURM profile asks for.

Every job rule writes a Snakemake ``benchmark:`` file (``results/benchmarks/<rule>/...tsv``:
wall seconds ``s`` and peak resident memory ``max_rss`` in MB, among others).
:func:`measured_needs` reads them into one row per rule; :func:`profile_requests` evaluates
the per-rule requests of a profile's ``set-resources`` the way Snakemake does for a given
attempt, so the two can be set side by side (``benchmarks/rule_resources.py``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml
from humanfriendly import parse_size, parse_timespan


def read_benchmarks(results: str | os.PathLike = "results") -> pd.DataFrame:
    """One row per job: ``rule``, ``job`` (the path below the rule's folder), ``s`` and
    ``max_rss`` (MB), from every ``benchmarks/<rule>/**.tsv``."""
    root = Path(results, "benchmarks")
    rows = []
    for path in sorted(root.rglob("*.tsv")):
        relative = path.relative_to(root)
        rule = relative.parts[0] if len(relative.parts) > 1 else relative.stem
        for _, measured in pd.read_csv(path, sep="\t").iterrows():
            rows.append(
                {
                    "rule": rule,
                    "job": str(relative.with_suffix("")),
                    "s": float(measured["s"]),
                    "max_rss": _number(measured["max_rss"]),
                }
            )
    return pd.DataFrame(rows, columns=["rule", "job", "s", "max_rss"])


def _number(value) -> float:
    """Snakemake writes '-' where psutil could not measure; read it as NaN."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def measured_needs(benchmarks: pd.DataFrame) -> pd.DataFrame:
    """Per rule: ``jobs``, the ``median_s`` and ``max_s`` wall time, the peak ``max_rss_mb``
    and the ``core_hours`` of all its jobs (wall time, one core each: every job is
    single-threaded at the default settings)."""
    grouped = benchmarks.groupby("rule")
    return pd.DataFrame(
        {
            "jobs": grouped.size(),
            "median_s": grouped.s.median(),
            "max_s": grouped.s.max(),
            "max_rss_mb": grouped.max_rss.max(),
            "core_hours": grouped.s.sum() / 3600,
        }
    )


@dataclass(frozen=True)
class Request:
    """What a profile asks the scheduler for, for one rule and attempt."""

    mem_mb: int
    runtime_min: int


def profile_requests(profile: str | os.PathLike, attempt: int = 1) -> dict[str, Request]:
    """The memory (``mem_mb``, or ``mem`` with a unit) and ``runtime`` of every rule in
    ``<profile>/config.yaml``'s ``set-resources``, for the given attempt (1 for the first try,
    2 for the first retry...).

    Values are Python expressions in ``attempt`` or plain strings with units ("2GB", "30m"),
    as Snakemake reads them; sizes are in MB (10⁶ bytes) and times in minutes, as Snakemake
    converts them.
    """
    with open(Path(profile, "config.yaml")) as f:
        settings = yaml.safe_load(f)
    requests = {}
    for rule, resources in settings.get("set-resources", {}).items():
        if "mem_mb" in resources:
            mem_mb = round(float(_evaluate(resources["mem_mb"], attempt)))
        else:
            mem_mb = round(parse_size(_evaluate(resources["mem"], attempt)) / 1e6)
        runtime = _evaluate(resources["runtime"], attempt)
        requests[rule] = Request(mem_mb=mem_mb, runtime_min=round(parse_timespan(runtime) / 60))
    return requests


def _evaluate(expression: str, attempt: int) -> str:
    """A resource value as Snakemake evaluates it: an expression in ``attempt``, or the
    string itself where it is not one."""
    try:
        return str(eval(expression, {"attempt": attempt}))
    except (NameError, SyntaxError):
        return expression
