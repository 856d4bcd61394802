"""Command-line entry point: every workflow step without Snakemake.

Examples::

    python -m metabayes check-config config.yaml presets/quick.yaml
    python -m metabayes train bernoulli_beta_1_1 0 --config config.yaml \\
        --out results/models/bernoulli_beta_1_1/seed0
    python -m metabayes trace bernoulli_beta_1_1 0 --config config.yaml \\
        --checkpoints results/models/bernoulli_beta_1_1/seed0/checkpoints.pt --out trace.h5
    python -m metabayes behaviour bernoulli_beta_1_1 trace.h5 --out behaviour.csv
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from metabayes import pipeline
from metabayes.config import ConfigError, load_config


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
    elif args.command == "train":
        out = Path(args.out)
        pipeline.train_prediction(
            args.task,
            args.seed,
            pipeline.prediction_settings(config),
            out / "checkpoints.pt",
            out / "training_log.csv",
            config["prediction"]["threads"],
        )
    elif args.command == "trace":
        evaluation = pipeline.evaluation_settings(config)
        pipeline.trace_prediction(args.task, args.seed, evaluation, args.checkpoints, args.out)
    elif args.command == "behaviour":
        pipeline.measure_behaviour(args.task, args.trace, args.out)
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
        if name == "trace":
            cmd.add_argument("--checkpoints", required=True)
    behaviour = sub.add_parser("behaviour", help="eq. 2 per checkpoint of a trace file")
    behaviour.add_argument("task")
    behaviour.add_argument("trace")
    behaviour.add_argument("--out", required=True)
    return parser
