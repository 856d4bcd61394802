"""Command-line entry point: every workflow step without Snakemake.

Examples::

    python -m metabayes check-config config.yaml presets/quick.yaml
    python -m metabayes train bernoulli_beta_1_1 0 --config config.yaml \\
        --out results/models/bernoulli_beta_1_1/seed0
    python -m metabayes trace bernoulli_beta_1_1 0 --config config.yaml \\
        --checkpoints results/models/bernoulli_beta_1_1/seed0/checkpoints.pt --out trace.h5
    python -m metabayes behaviour bernoulli_beta_1_1 trace.h5 --out behaviour.csv
    python -m metabayes gittins bernoulli_bandit_beta_1_1 --config config.yaml --out tables.h5
    python -m metabayes train bernoulli_bandit_beta_1_1 0 --config config.yaml \
        --tables tables.h5 --out results/models/bernoulli_bandit_beta_1_1/seed0
    python -m metabayes structure bernoulli_beta_1_1 --config config.yaml --trace trace.h5 \
        --checkpoints checkpoints.pt --out structure.csv --comparisons structure.h5 \
        --robustness variants.csv
    python -m metabayes convergence bernoulli_beta_1_1 --config config.yaml \
        --traces seed0.h5 seed1.h5 --out convergence.h5 --table convergence.csv \
        --figure convergence.pdf
    python -m metabayes examples categorical_dir_1_1_1 bernoulli_bandit_beta_1_1 \
        --config config.yaml --checkpoints c.pt b.pt --traces c.h5 b.h5 --tables tables.h5 \
        --out fig1.csv

Bandit tasks take ``--tables`` (the Gittins-table file) for train, trace, structure and
examples; without it the tables are computed in-process.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from metabayes import pipeline
from metabayes.config import ConfigError, load_config
from metabayes.kinds import KINDS, kind_of
from metabayes.settings import Settings
from metabayes.training.snapshots import SNAPSHOT_EVERY_S


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    pipeline.setup_logging()
    try:
        config = load_config(args.config) if getattr(args, "config", None) else None
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.command == "check-config":
        print("config is valid")
        return 0
    if args.command == "behaviour":  # needs no config
        pipeline.measure_behaviour(args.task, args.trace, args.out)
        return 0
    settings = Settings.from_config(config)
    evaluation = settings.evaluation
    if args.command == "gittins":
        pipeline.make_gittins_tables(args.task, evaluation.episode_length, args.out)
    elif args.command == "train":
        kind = kind_of(args.task).name
        out = Path(args.out)
        pipeline.train(
            args.task,
            [args.seed],
            settings.training[kind],
            args.tables,
            [out / "checkpoints.pt"],
            [out / "training_log.csv"],
            settings.threads[kind],
            args.snapshot_every,
        )
    elif args.command == "trace":
        pipeline.trace(args.task, args.seed, evaluation, args.tables, args.checkpoints, args.out)
    elif args.command == "structure":
        pipeline.compare_structure(
            args.task,
            settings.structure_of(args.task),
            settings.variants,
            args.trace,
            args.checkpoints,
            args.tables,
            args.out,
            args.comparisons,
            args.robustness,
            settings.threads["structure"],
        )
    elif args.command == "convergence":
        pipeline.converge(
            args.task, settings.convergence, args.traces, args.out, args.table, args.figure
        )
    elif args.command == "examples":
        pipeline.generalisation_examples(
            args.tasks,
            args.checkpoints,
            args.traces,
            args.tables or [],
            evaluation,
            settings.split,
            args.out,
        )
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="metabayes", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check-config", help="validate config files (later ones override)")
    check.add_argument("config", nargs="+")
    for name, help_ in [("train", "train one meta-learner"), ("trace", "dump one trace file")]:
        cmd = sub.add_parser(name, help=help_)
        cmd.add_argument("task")
        cmd.add_argument("seed", type=int)
        cmd.add_argument("--config", action="append", required=True, help="repeatable")
        cmd.add_argument("--out", required=True)
        cmd.add_argument("--tables", help="Gittins-table file (bandit tasks)")
        if name == "trace":
            cmd.add_argument("--checkpoints", required=True)
        else:
            cmd.add_argument(
                "--snapshot-every",
                type=float,
                default=SNAPSHOT_EVERY_S,
                metavar="SECONDS",
                help="seconds between snapshots (OUT/resume.pt) that a restarted run resumes "
                "from (default %(default)s)",
            )
    gittins = sub.add_parser("gittins", help="Gittins tables of one bandit task")
    gittins.add_argument("task", choices=sorted(KINDS["bandit"].tasks))
    gittins.add_argument("--config", action="append", required=True, help="repeatable")
    gittins.add_argument("--out", required=True)
    behaviour = sub.add_parser("behaviour", help="eq. 2 or eq. 3 per checkpoint of a trace")
    behaviour.add_argument("task")
    behaviour.add_argument("trace")
    behaviour.add_argument("--out", required=True)
    structure = sub.add_parser("structure", help="D_s and D_o of one run (init and final)")
    structure.add_argument("task")
    structure.add_argument("--config", action="append", required=True, help="repeatable")
    structure.add_argument("--trace", required=True)
    structure.add_argument("--checkpoints", required=True)
    structure.add_argument("--tables", help="Gittins-table file (bandit tasks)")
    structure.add_argument("--out", required=True, help="table of the main analysis (CSV)")
    structure.add_argument("--comparisons", required=True, help="comparison file (HDF5)")
    structure.add_argument("--robustness", help="also the table under every analysis variant (CSV)")
    convergence = sub.add_parser(
        "convergence", help="distances to Opt, MDS and training curves of a task's runs"
    )
    convergence.add_argument("task")
    convergence.add_argument("--config", action="append", required=True, help="repeatable")
    convergence.add_argument("--traces", nargs="+", required=True, help="one per seed")
    convergence.add_argument("--out", required=True, help="convergence file (HDF5)")
    convergence.add_argument("--table", required=True, help="distances to Opt (CSV)")
    convergence.add_argument("--figure", help="the task's convergence figure (PDF)")
    examples = sub.add_parser("examples", help="Figure 1's episodes run past the horizon")
    examples.add_argument("tasks", nargs="+")
    examples.add_argument("--config", action="append", required=True, help="repeatable")
    examples.add_argument("--checkpoints", nargs="+", required=True, help="one per task")
    examples.add_argument(
        "--traces", nargs="+", required=True, help="the same runs' traces (the episodes' choice)"
    )
    examples.add_argument("--tables", nargs="*", help="Gittins-table files, one per bandit task")
    examples.add_argument("--out", required=True, help="table (CSV)")
    return parser
