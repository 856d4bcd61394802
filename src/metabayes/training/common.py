"""Helpers shared by the training loops."""

from __future__ import annotations

import ctypes
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict

import torch

from metabayes.rng import seeded_torch
from metabayes.rnn import MetaLearner, initialise
from metabayes.stack import SLOT, StackedMetaLearner
from metabayes.training.checkpoints import Checkpoints
from metabayes.training.snapshots import SeedRecord, Snapshots, TrainingLoop

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters, glibc's <malloc.h>
MMAP_THRESHOLD = 32 * 2**20
"""Blocks up to this size come from the heap and are reused once freed (glibc's maximum)."""
TRIM_THRESHOLD = 2**30
"""Free memory at the heap's top is handed back to the kernel only above this size."""


def reuse_freed_memory() -> bool:
    """Have glibc keep freed blocks of up to 32 MB in the process for reuse; False elsewhere.

    A training update allocates and frees the same buffers of several MB (a bandit update's
    gate gradients alone are 10 MB). By default glibc maps many such blocks afresh and hands
    them back when freed, so the kernel faults their pages in again, zeroed: over bandit
    updates 7–26 at the paper's N = 256, 790–1 600 page faults and 1.4–2.8 ms of system time
    per update (1 400–2 700 and 5 ms on an earlier day), against 0.4–92 faults and under
    0.2 ms with this setting, about 3 % of an update's CPU time (the training jobs call it).
    Where each block lies has no effect on the numbers.
    """
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    return bool(
        mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )


class TrainingDiverged(RuntimeError):
    """Raised when the loss becomes NaN or infinite."""


def format_duration(seconds: float) -> str:
    """Seconds → '12m05s', for ETAs in training logs."""
    minutes, seconds = divmod(int(math.ceil(seconds)), 60)
    return f"{minutes}m{seconds:02d}s"


def check_finite(
    losses: torch.Tensor, task: str, seeds: Sequence[int], update: int, block: str
) -> None:
    """Stop a diverging run with a message naming task, seed, update and what to change.

    Args:
        losses: one loss per seed, (S,).

    Raises:
        TrainingDiverged: if a seed's loss is NaN or infinite (the first such seed is named).
    """
    finite = torch.isfinite(losses)
    if not bool(finite.all()):
        k = int((~finite).nonzero()[0, 0])
        raise TrainingDiverged(
            f"task {task}, seed {seeds[k]}: loss is {losses[k].item()} at update {update}; "
            f"lower {block}.learning_rate or {block}.grad_clip"
        )


def lr_scheduler(
    optimiser: torch.optim.Optimizer, schedule: str, n_updates: int
) -> torch.optim.lr_scheduler.LRScheduler:
    """``constant``, or ``cosine``: annealed from the initial rate to 0 at the last update."""
    if schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, n_updates)
    if schedule == "constant":
        return torch.optim.lr_scheduler.LambdaLR(optimiser, lambda _: 1.0)
    raise ValueError(f"unknown learning-rate schedule {schedule!r}")


def gradient_step(
    optimiser: torch.optim.Optimizer,
    losses: torch.Tensor,
    stack: StackedMetaLearner,
    clip: float,
) -> None:
    """Backpropagate each seed's loss, clip each seed's global gradient norm at ``clip`` and
    take one optimiser step (Adam is elementwise, so the seeds stay independent)."""
    optimiser.zero_grad()
    losses.sum().backward()
    stack.clip_grad_norm_(clip)
    optimiser.step()


def start_loop(
    task: str,
    settings,
    seeds: Sequence[int],
    build: Callable[[], MetaLearner],
    snapshots: Snapshots | None,
) -> TrainingLoop:
    """The training loop of ``seeds`` stacked, at update 0 or resumed from ``snapshots``.

    Seed s's network is ``build()`` initialised by ``settings.init`` from the stream
    (s, "init"), so it does not depend on the other seeds; its "init" checkpoint is saved.
    """
    nets = []
    for seed in seeds:
        with seeded_torch(seed, "init"):
            nets.append(initialise(build(), settings.init))
    stack = StackedMetaLearner(nets)
    optimiser = torch.optim.Adam(stack.parameters(), lr=settings.learning_rate)
    loop = TrainingLoop(
        net=stack,
        optimiser=optimiser,
        scheduler=lr_scheduler(optimiser, settings.lr_schedule, settings.n_updates),
        records=[
            SeedRecord(Checkpoints(task=task, seed=seed, settings=asdict(settings)))
            for seed in seeds
        ],
    )
    save_checkpoints(loop)
    if snapshots is not None:
        snapshots.restore(loop)
    return loop


def save_checkpoints(loop: TrainingLoop) -> None:
    """Add every seed's parameters at ``loop.update`` to its checkpoints."""
    for k, record in enumerate(loop.records):
        record.checkpoints.states[loop.update] = loop.net.export(k)


def train_in_stacks(
    seeds: Sequence[int], batch_size: int, train: Callable[[list[int]], TrainingLoop]
) -> list[tuple[Checkpoints, list[dict]]]:
    """Run ``train`` on each stack of :func:`stack_groups`; every seed's checkpoints and
    training-log rows, in the order of ``seeds``."""
    runs = []
    for group in stack_groups(seeds, batch_size):
        runs += [(record.checkpoints, record.rows) for record in train(group).records]
    return runs


def stack_groups(seeds: Sequence[int], batch_size: int) -> list[list[int]]:
    """How to split a job's seeds into stacks trained together.

    All in one stack when the batch size is a multiple of :data:`metabayes.stack.SLOT`: every
    per-seed block of every tensor is then a whole number of vector lengths, and elementwise
    kernels (whose last partial vector takes a scalar path that can differ in the last bit)
    treat each seed alike whatever the stack. Otherwise one seed at a time.
    """
    if batch_size % SLOT == 0:
        return [list(seeds)]
    return [[seed] for seed in seeds]
