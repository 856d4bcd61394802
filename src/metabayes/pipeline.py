"""Workflow steps as plain functions of paths and settings.

Each function is one job of the Snakemake workflow (``workflow/scripts/*`` call them) and one
subcommand of the CLI (``python -m metabayes``), so every step runs without Snakemake too.

Every job imports this module, so what only some jobs need is imported where it is used:
matplotlib by the plotting steps, scipy.stats by the few families that need it. Each cost
every job 1–2 s of start-up (the MDS is written out for the same reason,
:func:`metabayes.analysis.convergence.smacof`).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from metabayes.analysis.ablation import memory_table, speed_table
from metabayes.analysis.claims import claims_markdown
from metabayes.analysis.convergence import analyse, convergence_table
from metabayes.analysis.coordinates import Coordinates
from metabayes.analysis.generalisation import N_EXAMPLES, example_episodes, example_length
from metabayes.analysis.robustness import robustness_markdown, robustness_table
from metabayes.analysis.structure import split_episodes
from metabayes.analysis.structure_runs import compare_run, structure_table
from metabayes.analysis.summary import fig7_latex, fig7_table, per_seed_values
from metabayes.bandits.index_tables import make_index_tables
from metabayes.comparison_files import read_comparisons, write_comparisons
from metabayes.convergence_files import read_convergence, write_convergence
from metabayes.io import atomic_path, write_csv, write_manifest
from metabayes.kinds import kind_of
from metabayes.provenance import code_version, settings_hash
from metabayes.settings import (
    BanditSettings,
    ConvergenceSettings,
    EvaluationSettings,
    PredictionSettings,
    StructureSettings,
    Variant,
)
from metabayes.simulate import checkpoint_networks
from metabayes.tasks import TASKS
from metabayes.traces import Trace, read_trace, write_trace
from metabayes.training.checkpoints import COMPARED, Checkpoints
from metabayes.training.common import reuse_freed_memory
from metabayes.training.snapshots import SNAPSHOT_EVERY_S, SNAPSHOT_NAME, Snapshots

log = logging.getLogger(__name__)
PathLike = str | os.PathLike


def setup_logging(path: PathLike | None = None) -> None:
    """Log INFO and above to ``path`` (or stderr), with timestamps.

    With a ``path`` (a job's log file), an exception that ends the process is written there
    too, traceback included, before Python prints it to stderr as usual: a failed job's log
    says why it failed.
    """
    logging.basicConfig(
        filename=path,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    sys.excepthook = sys.__excepthook__ if path is None else _log_then_print


def _log_then_print(kind, error, traceback) -> None:
    """sys.excepthook: the uncaught exception to the log, then to stderr."""
    log.critical("failed: %s", error, exc_info=(kind, error, traceback))
    sys.__excepthook__(kind, error, traceback)


def train(
    task: str,
    seeds: Sequence[int],
    settings: PredictionSettings | BanditSettings,
    tables_path: PathLike | None,
    checkpoints_paths: Sequence[PathLike],
    log_csv_paths: Sequence[PathLike],
    threads: int = 1,
    snapshot_every_s: float = SNAPSHOT_EVERY_S,
) -> None:
    """Train the meta-learners of one task, one per seed (prediction tasks: as one stacked
    model); write each seed's checkpoints and training log to the paths at its position.

    ``tables_path`` is a bandit task's Gittins-table file (the training log's regret to Opt);
    None computes the tables in-process. The loop is snapshotted to ``resume.pt`` beside the
    first seed's checkpoints every ``snapshot_every_s`` seconds; a run killed and started
    again resumes from there.
    """
    torch.set_num_threads(threads)
    reuse_freed_memory()
    log.info(
        "training %s seeds %s with %s (code %s)",
        task,
        list(seeds),
        asdict(settings),
        code_version(),
    )
    snapshots = _snapshots(checkpoints_paths[0], snapshot_every_s)
    runs = kind_of(task).train(TASKS[task], settings, seeds, tables_path, snapshots)
    for seed, (checkpoints, rows), checkpoints_path, log_csv_path in zip(
        seeds, runs, checkpoints_paths, log_csv_paths, strict=True
    ):
        _save_training(task, seed, checkpoints, rows, checkpoints_path, log_csv_path)
    snapshots.discard()


def make_gittins_tables(task: str, episode_length: int, out_path: PathLike) -> None:
    """Write a bandit task's Gittins tables and the exact values of the reference policies."""
    values = make_index_tables(out_path, TASKS[task], episode_length, code_version())
    for agent, value in values.items():
        log.info(
            "%s: %s policy, expected return over %d steps %.6f (undiscounted %.6f)",
            task,
            agent,
            episode_length,
            value["discounted"],
            value["undiscounted"],
        )


def _snapshots(checkpoints_path: PathLike, every_s: float) -> Snapshots:
    """The snapshots of the run whose checkpoints go to ``checkpoints_path``."""
    return Snapshots(Path(checkpoints_path).with_name(SNAPSHOT_NAME), every_s)


def _save_training(task, seed, checkpoints, rows, checkpoints_path, log_csv_path) -> None:
    checkpoints.save(checkpoints_path)
    table = pd.DataFrame(rows)
    table.insert(0, "seed", seed)
    table.insert(0, "task", task)
    write_csv(table, log_csv_path)


def trace(
    task: str,
    seed: int,
    evaluation: EvaluationSettings,
    tables_path: PathLike | None,
    checkpoints_path: PathLike,
    trace_path: PathLike,
) -> None:
    """Roll out every checkpoint and the Bayes-optimal agent on the evaluation episodes
    (bandits: every agent plays them, and each checkpoint's stream is fed to the Gittins
    agent); ``tables_path`` as for :func:`train`."""
    torch.set_num_threads(1)
    checkpoints = _load_checkpoints(checkpoints_path, task, seed)
    kind = kind_of(task)
    result, attrs = kind.trace(TASKS[task], checkpoints, evaluation, tables_path)
    _write_trace(result, kind.name, checkpoints, evaluation, trace_path, **attrs)


def _load_checkpoints(path: PathLike, task: str, seed: int) -> Checkpoints:
    checkpoints = Checkpoints.load(path)
    if (checkpoints.task, checkpoints.seed) != (task, seed):
        raise ValueError(
            f"{path} holds task {checkpoints.task} seed {checkpoints.seed}, "
            f"not task {task} seed {seed}"
        )
    return checkpoints


def _load_trace(path: PathLike, task: str, seed: int) -> Trace:
    trace = read_trace(path)
    if (trace.task, trace.seed) != (task, seed):
        raise ValueError(
            f"{path} holds task {trace.task} seed {trace.seed}, not task {task} seed {seed}"
        )
    return trace


def _write_trace(
    trace: Trace,
    kind: str,
    checkpoints: Checkpoints,
    evaluation: EvaluationSettings,
    path: PathLike,
    **attrs,
) -> None:
    config = {"training": checkpoints.settings, "evaluation": asdict(evaluation)}
    trace.attrs = {
        "kind": kind,
        "episode_length": evaluation.episode_length,
        "n_episodes": evaluation.n_episodes,
        "evaluation_seed": evaluation.seed,
        "code_version": code_version(),
        "training_code_version": checkpoints.code_version,
        "config_hash": settings_hash(config),
        "config": config,
        **attrs,
    }
    write_trace(path, trace)
    log.info("wrote %s: %d checkpoints × %d episodes", path, len(trace.rnn), evaluation.n_episodes)


def measure_behaviour(task: str, trace_path: PathLike, csv_path: PathLike) -> None:
    """Eq. 2 (prediction) or eq. 3 with returns and regret (bandits) per checkpoint."""
    behaviour = kind_of(task).behaviour(TASKS[task], read_trace(trace_path))
    table, column = behaviour.table, behaviour.column
    write_csv(table, csv_path)
    final = table.loc[table.checkpoint == "final", column].iloc[0]
    log.info(
        "%s: %s init %.4g, final %.4g", trace_path, behaviour.name, table[column].iloc[0], final
    )


def measure_task_behaviour(
    task: str,
    trace_paths: Sequence[PathLike],
    csv_paths: Sequence[PathLike],
    task_csv_path: PathLike,
) -> None:
    """:func:`measure_behaviour` for every run of a task (trace and table paths in seed
    order), and the task's table of all of them."""
    for trace_path, csv_path in zip(trace_paths, csv_paths, strict=True):
        measure_behaviour(task, trace_path, csv_path)
    collect_tables(csv_paths, task_csv_path)


def collect_tables(csv_paths: Sequence[PathLike], out_path: PathLike) -> None:
    """Concatenate per-seed tables into one."""
    write_csv(_concat(csv_paths), out_path)


def trace_task(
    task: str,
    seeds: Sequence[int],
    evaluation: EvaluationSettings,
    tables_path: PathLike | None,
    checkpoints_paths: Sequence[PathLike],
    trace_paths: Sequence[PathLike],
) -> None:
    """:func:`trace` for every run of a task (paths in seed order): one job per task, since
    each run takes seconds and a job's start-up about as long."""
    for seed, checkpoints_path, trace_path in zip(
        seeds, checkpoints_paths, trace_paths, strict=True
    ):
        trace(task, seed, evaluation, tables_path, checkpoints_path, trace_path)


def compare_structure(
    task: str,
    settings: StructureSettings,
    variants: Sequence[Variant],
    trace_path: PathLike,
    checkpoints_path: PathLike,
    tables_path: PathLike | None,
    csv_path: PathLike,
    comparisons_path: PathLike,
    robustness_path: PathLike | None = None,
    threads: int = 1,
) -> None:
    """D_s and D_o in both directions at init and final of one run (paper §4.3, Fig. 4).

    Writes the main analysis (the variant of ``settings``) as a structure table and a
    comparison file and, with ``robustness_path``, the run under every analysis variant
    (``variants``, the main one first) as one table with a ``variant`` column (0 is the main
    analysis; robustness stage). All are computed in one pass: a ϕ that several variants
    share (the main analysis's among them) is fitted once, and a ϕ's result does not depend
    on what is fitted beside it, so the main analysis is the same with or without variants.

    The episodes are split by the evaluation seed (the same held-out episodes for every
    run); ϕ is seeded by the run's seed. ``tables_path`` is the Gittins-table file (bandits).
    """
    torch.set_num_threads(threads)
    variant = settings.variant
    if robustness_path is None:
        variants = [variant]
    elif not variants or variants[0] != variant:
        raise ValueError("the analysis variants must start with the main one (settings.variant)")
    run = _StructureRun(task, settings, trace_path, checkpoints_path, tables_path)
    per_variant = run.compare(list(variants))
    comparisons = per_variant[0]
    table = run.table(comparisons, variant)
    write_csv(table, csv_path)
    trace = run.trace
    write_comparisons(
        comparisons_path,
        comparisons,
        run.machines,
        {label: trace.rnn[label].update for label in COMPARED},
        run.split,
        {
            "task": task,
            "seed": trace.seed,
            "kind": kind_of(task).name,
            "n_components": int(table.n_components.iloc[0]),
            "settings": settings.as_dict(),
            **run.provenance,
        },
    )
    for row in table.itertuples():
        log.info(
            "%s seed %d %s %s: D_s %.4g, D_o %.4g ± %.2g (%d epochs; RNN variance in %d PCs %.3f)",
            task,
            trace.seed,
            row.checkpoint,
            row.direction,
            row.d_s,
            row.d_o,
            row.d_o_se,
            row.epochs,
            row.n_rnn_components,
            row.rnn_explained,
        )
    if robustness_path is not None:
        write_csv(_variant_tables(run, variants, per_variant), robustness_path)


def compare_task_structure(
    task: str,
    settings: StructureSettings,
    variants: Sequence[Variant],
    trace_paths: Sequence[PathLike],
    checkpoints_paths: Sequence[PathLike],
    tables_path: PathLike | None,
    csv_paths: Sequence[PathLike],
    comparisons_paths: Sequence[PathLike],
    robustness_paths: Sequence[PathLike],
    task_csv_path: PathLike,
    fig3_path: PathLike | None = None,
    threads: int = 1,
) -> None:
    """:func:`compare_structure` with every variant for every run of a task (paths in seed
    order), the task's structure table of all runs and, given ``fig3_path``, the task's
    Figure 3 for its first run (:func:`plot_fig3_task`)."""
    runs = zip(
        trace_paths, checkpoints_paths, csv_paths, comparisons_paths, robustness_paths, strict=True
    )
    for trace_path, checkpoints_path, csv_path, comparisons_path, robustness_path in runs:
        compare_structure(
            task,
            settings,
            variants,
            trace_path,
            checkpoints_path,
            tables_path,
            csv_path,
            comparisons_path,
            robustness_path,
            threads,
        )
    collect_tables(csv_paths, task_csv_path)
    if fig3_path is not None:
        plot_fig3_task(comparisons_paths[0], trace_paths[0], fig3_path)


def _variant_tables(
    run: _StructureRun, variants: Sequence[Variant], comparisons: list[dict]
) -> pd.DataFrame:
    """The structure tables of one run under every variant, stacked, with a ``variant``
    column (0 is the main analysis)."""
    tables = []
    for index, (variant, compared) in enumerate(zip(variants, comparisons, strict=True)):
        table = run.table(compared, variant)
        table.insert(2, "variant", index)
        tables.append(table)
        final = table[table.checkpoint == "final"].set_index("direction")
        log.info(
            "%s seed %d variant %d (%s): final D_s %.3g / %.3g, D_o %.3g / %.3g "
            "(RNN→Opt / Opt→RNN)",
            run.task,
            run.trace.seed,
            index,
            variant.describe(),
            final.d_s["rnn_to_opt"],
            final.d_s["opt_to_rnn"],
            final.d_o["rnn_to_opt"],
            final.d_o["opt_to_rnn"],
        )
    return pd.concat(tables, ignore_index=True)


class _StructureRun:
    """One run's traces as machines, ready for structural comparisons under any variant."""

    def __init__(
        self,
        task: str,
        settings: StructureSettings,
        trace_path: PathLike,
        checkpoints_path: PathLike,
        tables_path: PathLike | None,
    ):
        self.task = task
        self.embedding = settings.embedding
        self.trace = trace = read_trace(trace_path, labels=list(COMPARED))
        checkpoints = _load_checkpoints(checkpoints_path, task, trace.seed)
        self.split = split_episodes(
            len(trace.theta), settings.split, int(trace.attrs["evaluation_seed"])
        )
        parts = kind_of(task).structure(
            TASKS[task], trace, _label_networks(task, checkpoints), tables_path
        )
        self.machines, self.dissimilarity = parts.machines, parts.dissimilarity
        self.coordinates = Coordinates("statistics", parts.models)
        self.provenance = {
            "config_hash": settings_hash(
                {"structure": settings.as_dict(), "trace": trace.attrs["config_hash"]}
            ),
            "code_version": code_version(),
        }

    def compare(self, variants: list[Variant]) -> list[dict]:
        return compare_run(
            self.trace.seed,
            self.machines,
            self.dissimilarity,
            self.split,
            self.embedding,
            variants,
            self.coordinates,
        )

    def table(self, comparisons: dict, variant: Variant) -> pd.DataFrame:
        return structure_table(self.trace, comparisons, self.split, variant, self.provenance)


def _label_networks(task: str, checkpoints: Checkpoints) -> dict:
    """The networks at the compared checkpoints (:data:`COMPARED`), by label."""
    build = kind_of(task).checkpoint_builder(TASKS[task], checkpoints)
    networks = checkpoint_networks(checkpoints, build)
    return {label: net for label, _, net in networks if label in COMPARED}


def converge(
    task: str,
    settings: ConvergenceSettings,
    trace_paths: Sequence[PathLike],
    h5_path: PathLike,
    csv_path: PathLike,
    figure_path: PathLike | None = None,
) -> None:
    """Within-episode dissimilarities, pairwise distances, MDS and training curves of all runs
    of a task (paper §4.2, Fig. 2); the per-run distances to Opt as a table and, with
    ``figure_path``, the task's convergence figure (:func:`plot_convergence` of the file)."""
    traces = [read_trace(path, states=False) for path in trace_paths]
    family = kind_of(task).convergence_family(TASKS[task])
    result = analyse(traces, family, settings.n_episodes, settings.max_iter)
    provenance = {
        "config_hash": settings_hash(
            {"convergence": asdict(settings), "traces": [t.attrs["config_hash"] for t in traces]}
        ),
        "code_version": code_version(),
    }
    table = convergence_table(result, provenance)
    write_csv(table, csv_path)
    write_convergence(h5_path, result, {**provenance, "settings": asdict(settings)})
    for label in COMPARED:
        distances = table.loc[table.checkpoint == label, "distance_to_opt"]
        log.info(
            "%s: distance to Opt at %s, median over %d runs %.4g (range %.4g–%.4g)",
            task,
            label,
            len(distances),
            distances.median(),
            distances.min(),
            distances.max(),
        )
    log.info("%s: MDS stress %.3f over %d points", task, result.embedding.stress, len(table) + 1)
    if figure_path is not None:
        plot_convergence([h5_path], figure_path)


def plot_convergence(convergence_paths: Sequence[PathLike], figure_path: PathLike) -> None:
    """Figure 2 (two tasks) or a task's supplementary convergence figure (one)."""
    from metabayes.plotting import convergence as convergence_figures
    from metabayes.plotting import figures

    files = [read_convergence(path) for path in convergence_paths]
    figures.save(convergence_figures.plot_convergence(files), figure_path)


def generalisation_examples(
    tasks: Sequence[str],
    checkpoint_paths: Sequence[PathLike],
    trace_paths: Sequence[PathLike],
    tables_paths: Sequence[PathLike],
    evaluation: EvaluationSettings,
    split: Sequence[float],
    csv_path: PathLike,
) -> None:
    """The final meta-learner of each task and Opt on three episodes run to 1.5 T steps
    (paper Fig. 1): held-out episodes of the structural split chosen from the run's trace
    (:func:`metabayes.analysis.generalisation.example_episodes`), continued from their θ.
    ``trace_paths`` are the traces of the same runs as ``checkpoint_paths``;
    ``tables_paths`` the Gittins-table files of the tasks among ``tasks`` whose kind uses
    them (the bandits), in their order (none: computed in-process)."""
    torch.set_num_threads(1)
    with_tables = [task for task in tasks if kind_of(task).uses_tables]
    if tables_paths and len(tables_paths) != len(with_tables):
        raise ValueError(f"expected one Gittins-table file per bandit task of {with_tables}")
    tables_of = dict(zip(with_tables, tables_paths, strict=True)) if tables_paths else {}
    held_out = split_episodes(evaluation.n_episodes, tuple(split), evaluation.seed).test
    steps = example_length(evaluation.episode_length)
    tables = []
    for task, path, trace_path in zip(tasks, checkpoint_paths, trace_paths, strict=True):
        checkpoints = Checkpoints.load(path)
        trace = _load_trace(trace_path, task, checkpoints.seed)
        chosen = example_episodes(trace, held_out, N_EXAMPLES)
        final = _label_networks(task, checkpoints)["final"]
        table = kind_of(task).examples(
            TASKS[task], final, evaluation, chosen, steps, tables_of.get(task)
        )
        table.insert(2, "seed", checkpoints.seed)
        table["trained_steps"] = checkpoints.settings["episode_length"]
        tables.append(table)
        log.info("%s seed %d: episodes %s run for %d steps", task, checkpoints.seed, chosen, steps)
    write_csv(pd.concat(tables, ignore_index=True), csv_path)


def plot_fig1(csv_path: PathLike, figure_path: PathLike) -> None:
    from metabayes.plotting import figures
    from metabayes.plotting import generalisation as generalisation_figures

    figures.save(generalisation_figures.plot_fig1(pd.read_csv(csv_path)), figure_path)


def tabulate_fig7(
    behaviour_paths: Sequence[PathLike],
    structure_paths: Sequence[PathLike],
    tasks: Sequence[str],
    csv_path: PathLike,
    tex_path: PathLike,
) -> None:
    """The numbers behind Figure 4 as a tidy CSV and a booktabs table."""
    values = per_seed_values(_concat(behaviour_paths), _concat(structure_paths))
    table = fig7_table(values, tasks)
    write_csv(table, csv_path)
    with atomic_path(tex_path) as tmp:
        tmp.write_text(fig7_latex(table))


def plot_fig4(table_path: PathLike, figure_path: PathLike) -> None:
    from metabayes.plotting import figures

    figures.save(figures.plot_fig4(pd.read_csv(table_path)), figure_path)


def plot_fig3(
    comparison_paths: Sequence[PathLike], trace_paths: Sequence[PathLike], figure_path: PathLike
) -> None:
    """Figure 3 from the comparison files of its runs; the lines are Figure 1's episodes,
    chosen from the runs' traces (:func:`_fig3_lines`)."""
    from metabayes.plotting import figures

    files = [read_comparisons(path) for path in comparison_paths]
    lines = [_fig3_lines(f, path) for f, path in zip(files, trace_paths, strict=True)]
    figures.save(figures.plot_fig3(files, lines=lines), figure_path)


def plot_fig3_task(comparison_path: PathLike, trace_path: PathLike, figure_path: PathLike) -> None:
    """A task's Figure 3 (App. D.5) at its final checkpoint and untrained (App. D.1)."""
    from metabayes.plotting import figures

    comparison = read_comparisons(comparison_path)
    lines = _fig3_lines(comparison, trace_path)
    figure = figures.plot_fig3([comparison] * 2, labels=("final", "init"), lines=[lines] * 2)
    figures.save(figure, figure_path)


def _fig3_lines(comparison, trace_path: PathLike) -> np.ndarray:
    """The episodes Figure 3 draws as lines: Figure 1's rule on the run's trace."""
    trace = _load_trace(trace_path, comparison.task, comparison.seed)
    return example_episodes(trace, comparison.split.test)


def tabulate_ablation(
    behaviour_paths: Sequence[PathLike],
    widths: Sequence[int],
    seeds: Sequence[int],
    main_width: dict[str, int],
    speed_factor: float,
    memory_path: PathLike,
    speed_path: PathLike,
) -> None:
    """The width ablation's tables (App. D.7, D.3) from the behaviour tables of every (task,
    width), whose width is at the same position of ``widths``; rows of other seeds (a main
    run's table holds all main seeds) are left out."""
    tables = [pd.read_csv(path) for path in behaviour_paths]
    tables = [table[table.seed.isin(seeds)] for table in tables]
    for path, table in zip(behaviour_paths, tables, strict=True):
        missing = sorted(set(seeds) - set(table.seed))
        if missing:
            raise ValueError(f"{path} has no rows of seeds {missing}")
    write_csv(memory_table(tables, widths, main_width), memory_path)
    write_csv(speed_table(tables, widths, speed_factor), speed_path)


def plot_memory(table_path: PathLike, figure_path: PathLike) -> None:
    """The width ablation's final behaviour against the width (App. D.7)."""
    from metabayes.plotting import ablation, figures

    figures.save(ablation.plot_memory(pd.read_csv(table_path)), figure_path)


def plot_width(table_path: PathLike, figure_path: PathLike) -> None:
    """The width ablation's convergence speed against the width (App. D.3)."""
    from metabayes.plotting import ablation, figures

    figures.save(ablation.plot_width(pd.read_csv(table_path)), figure_path)


def write_claims(
    behaviour_paths: Sequence[PathLike],
    structure_paths: Sequence[PathLike],
    convergence_paths: Sequence[PathLike],
    claims_path: PathLike,
    memory_path: PathLike | None = None,
) -> None:
    """The claims table (markdown) from the behaviour, structure and convergence tables, and
    the width ablation's memory table where there is one (App. D.7's claim)."""
    structure = _concat(structure_paths)
    values = per_seed_values(_concat(behaviour_paths), structure)
    memory = None if memory_path is None else pd.read_csv(memory_path)
    text = claims_markdown(values, structure, _concat(convergence_paths), memory)
    with atomic_path(claims_path) as tmp:
        tmp.write_text(text)
    for line in text.splitlines():
        if line.startswith("## ") and ":" in line:
            log.info("%s", line[3:])


def write_run_manifest(root: PathLike, path: PathLike) -> None:
    """The run's manifest: SHA-256 of every result file (:func:`metabayes.io.write_manifest`)."""
    count = write_manifest(root, path)
    log.info("wrote %s: %d files", path, count)


def tabulate_robustness(
    behaviour_paths: Sequence[PathLike],
    variant_paths: Sequence[PathLike],
    csv_path: PathLike,
    markdown_path: PathLike,
) -> None:
    """The structural claims' verdicts under every analysis variant, as CSV and markdown."""
    table = robustness_table(_concat(behaviour_paths), _concat(variant_paths))
    write_csv(table, csv_path)
    text = robustness_markdown(table)
    with atomic_path(markdown_path) as tmp:
        tmp.write_text(text)
    for line in text.splitlines():
        if line.startswith("**"):
            log.info("%s", line.strip("*"))


def _concat(paths: Sequence[PathLike]) -> pd.DataFrame:
    return pd.concat([pd.read_csv(p) for p in paths], ignore_index=True)
