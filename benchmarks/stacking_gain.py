"""Stacking gain of whole prediction training runs (run on demand): seed-updates per
CPU-second of S seeds trained as one stacked model against one seed alone, in turn.

Unlike ``benchmarks/throughput.py``, which times the update alone, this times
:func:`metabayes.training.prediction.train_predictors` as a training job runs it (batches
sampled, checkpoints and log rows written), so its ratio is the ``--stacking-gain`` that
``benchmarks/rule_resources.py --seeds`` divides prediction training by.

    python benchmarks/stacking_gain.py gaussian_normal_gamma_1 --updates 1000 --repeats 2
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import torch

from metabayes.config import load_config
from metabayes.settings import Settings
from metabayes.tasks import PREDICTION_TASKS
from metabayes.training.common import reuse_freed_memory
from metabayes.training.prediction import train_predictors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("task", choices=sorted(PREDICTION_TASKS))
    parser.add_argument("--stack", type=int, default=10, help="seeds trained together")
    parser.add_argument("--updates", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--config", default="config.yaml")
    args = parser.parse_args()
    torch.set_num_threads(1)
    reuse_freed_memory()  # as the training jobs do
    settings = Settings.from_config(load_config([args.config])).training["prediction"]
    settings = replace(settings, n_updates=args.updates, log_every=args.updates)
    task = PREDICTION_TASKS[args.task]
    for _ in range(args.repeats):
        rates = {}
        for seeds in ([0], list(range(args.stack))):
            start = time.process_time()
            train_predictors(task, settings, seeds)
            rates[len(seeds)] = len(seeds) * args.updates / (time.process_time() - start)
        print(
            f"{args.task}: 1 seed {rates[1]:.1f}, {args.stack} stacked {rates[args.stack]:.1f} "
            f"seed-updates per CPU-second: gain {rates[args.stack] / rates[1]:.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
