"""What jobs need and what the SLURM profile asks for.

Every job rule writes a Snakemake ``benchmark:`` file (``results/benchmarks/<rule>/...tsv``:
wall seconds ``s`` and peak resident memory ``max_rss`` in MB, among others).
:func:`measured_needs` reads them into one row per rule; :func:`profile_requests` evaluates
the per-rule requests of a profile's ``set-resources`` the way Snakemake does for a given
attempt, so the two can be set side by side (``benchmarks/rule_resources.py``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml
from humanfriendly import parse_size, parse_timespan

from metabayes.catalogue import kind_name


def read_benchmarks(results: str | os.PathLike = "results") -> pd.DataFrame:
    """One row per job: ``rule``, ``job`` (the path below the rule's folder), ``s``,
    ``max_rss`` (MB) and ``cpu_s`` (the job's CPU seconds, ``cpu_time``; NaN where the file
    has none), from every ``benchmarks/<rule>/**.tsv``."""
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
                    "cpu_s": _number(measured.get("cpu_time")),
                }
            )
    return pd.DataFrame(rows, columns=["rule", "job", "s", "max_rss", "cpu_s"])


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


def job_task(job: str) -> str:
    """The task of a job's benchmark path (``<rule>/<task>[/seed<k>]``, as ``job`` of
    :func:`read_benchmarks`)."""
    return Path(job).parts[1]


def seeds_per_task(benchmarks: pd.DataFrame) -> int:
    """The training seeds per task of the run whose benchmark files these are, counted from its
    bandit training jobs (one per seed: ``train_bandit_agent/<task>/seed<k>``).

    Raises:
        ValueError: if the run has no such jobs.
    """
    jobs = benchmarks[benchmarks.rule == "train_bandit_agent"].job
    if jobs.empty or not all(re.fullmatch(r"seed\d+", Path(job).name) for job in jobs):
        raise ValueError("the run's seeds are counted from its bandit training jobs: none found")
    return int(jobs.map(job_task).value_counts().max())


SEED_SCALING: dict[str, str] = {
    "train_bandit_agent": "jobs",
    "train_predictors": "stacked",
    "dump_prediction_traces": "runs",
    "dump_bandit_traces": "runs",
    "compare_structure": "runs",
    "converge": "pairs",
}
"""How a rule's cost grows with the training seeds of each task (:func:`scale_to_seeds`):
``jobs``, one job per seed; ``runs``, one job per task whose work is per seed; ``stacked``,
the same with the seeds trained as one model, which costs less per seed; ``pairs``, one job per
task whose work grows with the pairs of points (every checkpoint of every run, and Opt) of the
convergence analysis's distance matrix. The other rules' jobs do not depend on the seeds
(the width ablation's among them: its seeds are ``ablation.seeds``)."""

START_UP_S = 3.0
"""Seconds of a job that do not grow with its seeds: starting Python, importing torch."""


def scale_to_seeds(
    benchmarks: pd.DataFrame,
    measured_seeds: int,
    seeds: int,
    checkpoints: dict[str, int],
    stacking_gain: float = 1.0,
) -> pd.Series:
    """Core-hours per rule of a run with ``seeds`` training seeds per task, estimated from
    the benchmark files (:func:`read_benchmarks`) of a run with ``measured_seeds``.

    A ``jobs`` rule's time is multiplied by seeds / measured_seeds; a job of the other kinds
    of :data:`SEED_SCALING` keeps its :data:`START_UP_S` and the rest is multiplied by that
    ratio (``runs``), by that ratio over ``stacking_gain`` (``stacked``: measure the gain with
    whole training runs, stacked against alone), or by the squared ratio of the distance
    matrix's sides, (seeds · C + 1) / (measured_seeds · C + 1) with C the checkpoints per run
    of the task's kind in ``checkpoints`` (``pairs``: right for the pairwise distances, which
    dominate at paper scale; an overestimate where they are cheap).
    """
    ratio = seeds / measured_seeds

    def scaled(row) -> float:
        kind = SEED_SCALING.get(row.rule)
        if kind is None:
            return row.s
        if kind == "jobs":
            return row.s * ratio
        if kind == "pairs":
            C = checkpoints[kind_name(job_task(row.job))]
            factor = ((seeds * C + 1) / (measured_seeds * C + 1)) ** 2
        else:
            factor = ratio / stacking_gain if kind == "stacked" else ratio
        start_up = min(row.s, START_UP_S)
        return start_up + (row.s - start_up) * factor

    seconds = benchmarks.apply(scaled, axis=1) if len(benchmarks) else benchmarks.s
    return seconds.groupby(benchmarks.rule).sum() / 3600


STAGES: dict[str, tuple[str, ...]] = {
    "Gittins tables": ("gittins_table",),
    "prediction training": ("train_predictors", "train_predictor"),
    "bandit training": ("train_bandit_agent",),
    "traces and behaviour": (
        "dump_prediction_traces",
        "dump_bandit_traces",
        "measure_behaviour",
        "collect_behaviour",
    ),
    "structural comparison": (
        "compare_structure",
        "compare_structure_variants",
        "collect_structure",
    ),
    "convergence": ("converge",),
}
"""The pipeline's stages by the rules whose jobs do their work, this workflow's and those of
earlier versions (per-seed ``train_predictor`` and ``measure_behaviour`` jobs, the robustness
variants in ``compare_structure_variants`` jobs of their own), so that runs of two versions
compare stage by stage (:func:`stage_costs`). Every other rule (figures, tables, the width
ablation's plots, the manifest) counts as :data:`OTHER_STAGE`."""

OTHER_STAGE = "figures, tables and the rest"


def stage_costs(benchmarks: pd.DataFrame) -> pd.DataFrame:
    """Per stage of :data:`STAGES` (in that order, then :data:`OTHER_STAGE`): ``jobs``, wall
    ``s`` and ``cpu_s`` summed over the jobs of :func:`read_benchmarks`; stages without jobs
    are left out."""
    stage_of = {rule: stage for stage, rules in STAGES.items() for rule in rules}
    stages = benchmarks.rule.map(lambda rule: stage_of.get(rule, OTHER_STAGE))
    grouped = benchmarks.groupby(stages)
    costs = pd.DataFrame(
        {"jobs": grouped.size(), "s": grouped.s.sum(), "cpu_s": grouped.cpu_s.sum()}
    )
    return _in_stage_order(costs).rename_axis("stage")


def compare_stage_costs(
    first: pd.DataFrame, second: pd.DataFrame, labels: tuple[str, str] = ("first", "second")
) -> pd.DataFrame:
    """Two runs' :func:`stage_costs` side by side: per stage and in total, each run's ``jobs``
    and ``cpu_s`` (columns (label, name); 0 where a run has no such jobs) and ``("",
    "ratio")``, the first run's CPU seconds over the second's."""
    costs = {
        label: stage_costs(rows)[["jobs", "cpu_s"]]
        for label, rows in zip(labels, (first, second), strict=True)
    }
    table = _in_stage_order(pd.concat(costs, axis=1).fillna(0))
    table.loc["total"] = table.sum()
    table[("", "ratio")] = table[(labels[0], "cpu_s")] / table[(labels[1], "cpu_s")]
    return table


def _in_stage_order(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of a table indexed by stage, in the order of :data:`STAGES`, then the rest."""
    return table.loc[[stage for stage in (*STAGES, OTHER_STAGE) if stage in table.index]]


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
