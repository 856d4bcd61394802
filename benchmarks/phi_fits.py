"""Cost of the structural comparison's ϕ fits, stacked against one at a time (run on demand).

The robustness stage fits, per run, one ϕ for every distinct (checkpoint, direction, analysis
variant) of ``structure.variants`` (20 for the default grid). This script builds synthetic
regressions of those shapes for a prediction run (Bayes state n = 2, RNN state 2N = 64, ϕ
hidden 64) and a bandit run (n = 4, 2N = 512, hidden 256), with the paper's split of K = 500
episodes of T = 20 steps, and times a fixed number of epochs (no early stopping):

- ``stacked``: :func:`metabayes.analysis.structure.fit_embeddings` with every ϕ of one
  shape in one stack;
- ``singly``: the same code, one ϕ per stack;
- ``plain``: each ϕ alone as an ``nn.Sequential`` trained by ``torch.optim.Adam`` (how the
  fits ran before they were stacked).

It prints milliseconds per ϕ-epoch and the speed-ups over plain, best of --repeats timings.
The pipeline stacks the ϕs of prediction tasks and fits those of bandit tasks singly
(:data:`metabayes.analysis.structure.STACK_MAX_HIDDEN`); for the pipeline's way it also
prints the share of the time spent in matrix products (``throughput.product_seconds``) and so
the fits' ceiling, their speed-up if everything else were free.

    python benchmarks/phi_fits.py --epochs 5 --repeats 3
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from functools import partial

import numpy as np
import torch
from throughput import product_seconds  # benchmarks/throughput.py, beside this script

from metabayes.analysis.structure import (
    STACK_MAX_HIDDEN,
    EmbeddingSettings,
    Regression,
    embedding_network,
    fit_embeddings,
)
from metabayes.config import load_config
from metabayes.settings import Settings

K, T = 500, 20
TRAIN, VALIDATION = 300, 100  # episodes (split 0.6, 0.2, 0.2)


def run_shapes(n: int, state: int) -> list[tuple[int, int]]:
    """(n_in, n_out) of the distinct ϕs of one checkpoint under the default variant grid."""
    return [
        (n, n), (n, n),  # RNN → Opt: statistics and posterior coordinates, n RNN PCs
        (n, n), (n, n),  # Opt → RNN into the n PCs, both coordinates
        (n, state),  # Opt → RNN into the full state (phi_target: state)
        (4 * n, n), (n, 4 * n),  # 4n RNN PCs, both directions
        (state, n), (state, n),  # the full RNN state, both coordinates
        (n, state),  # Opt (posterior) → full state
    ]  # fmt: skip


def regressions(shapes: list[tuple[int, int]], rng: np.random.Generator) -> list[Regression]:
    problems = []
    for key, (n_in, n_out) in enumerate(shapes * 2):  # init and final checkpoints
        x = rng.normal(size=(K, T, n_in))
        y = np.tanh(x @ rng.normal(size=(n_in, n_out)) / np.sqrt(n_in))
        train, validation = np.arange(TRAIN), np.arange(TRAIN, TRAIN + VALIDATION)
        problems.append(Regression(x, y, train, validation, x, key % 2))
    return problems


def plain(problems: list[Regression], settings: EmbeddingSettings, seed: int) -> None:
    for problem in problems:
        x, y, x_val, y_val = (
            torch.as_tensor(a, dtype=torch.float32)
            for a in (problem.x_train, problem.y_train, problem.x_validation, problem.y_validation)
        )
        torch.manual_seed(seed)
        net = embedding_network(x.shape[1], y.shape[1], settings)
        optimiser = torch.optim.Adam(net.parameters(), lr=settings.learning_rate)
        for _ in range(settings.max_epochs):
            for batch in torch.randperm(len(x)).split(settings.batch_size):
                loss = torch.mean((net(x[batch]) - y[batch]) ** 2)
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
            with torch.no_grad():
                torch.mean((net(x_val) - y_val) ** 2).item()
        with torch.no_grad():
            net(torch.as_tensor(problem.x.reshape(-1, x.shape[1]), dtype=torch.float32))


def best_time(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--config", default="config.yaml", help="ϕ's other settings")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    print(
        f"{'run':<12}{'ϕs':>4}{'hidden':>8}   ms per ϕ-epoch: {'stacked':>8}{'singly':>8}"
        f"{'plain':>8}   speed-up: {'stacked':>8}{'singly':>8}   products  ceiling"
    )
    for name, n, state, hidden in [("prediction", 2, 64, 64), ("bandit", 4, 512, 256)]:
        problems = regressions(run_shapes(n, state), rng)
        settings = replace(
            Settings.from_config(load_config([args.config])).structure[name].embedding,
            hidden_size=hidden,
            max_epochs=args.epochs,
            patience=args.epochs + 1,
        )
        per = len(problems) * args.epochs / 1e3
        fits = [
            partial(fit_embeddings, problems, settings, 0, max_stack=len(problems)),
            partial(fit_embeddings, problems, settings, 0, max_stack=1),
            partial(plain, problems, settings, 0),
        ]
        stacked, singly, reference = (best_time(fit, args.repeats) / per for fit in fits)
        pipeline, seconds = (fits[0], stacked) if hidden <= STACK_MAX_HIDDEN else (fits[1], singly)
        share = product_seconds(pipeline, 1, args.repeats) / per / seconds
        print(
            f"{name:<12}{len(problems):>4}{hidden:>8}{'':>19}{stacked:>8.1f}{singly:>8.1f}"
            f"{reference:>8.1f}{'':>13}{reference / stacked:>7.2f}×{reference / singly:>7.2f}×"
            f"{share:>10.0%}{1 / share:>8.2f}×"
        )


if __name__ == "__main__":
    main()
