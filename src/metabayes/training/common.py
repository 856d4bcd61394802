"""Helpers shared by the training loops."""

from __future__ import annotations

import math

import torch


class TrainingDiverged(RuntimeError):
    """Raised when the loss becomes NaN or infinite."""


def format_duration(seconds: float) -> str:
    """Seconds → '12m05s', for ETAs in training logs."""
    minutes, seconds = divmod(int(math.ceil(seconds)), 60)
    return f"{minutes}m{seconds:02d}s"


def check_finite(loss: torch.Tensor, task: str, seed: int, update: int, block: str) -> None:
    """Stop a diverging run with a message naming task, seed, update and what to change.

    Raises:
        TrainingDiverged: if ``loss`` is NaN or infinite.
    """
    if not torch.isfinite(loss):
        raise TrainingDiverged(
            f"task {task}, seed {seed}: loss is {loss.item()} at update {update}; "
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
    optimiser: torch.optim.Optimizer, loss: torch.Tensor, net: torch.nn.Module, clip: float
) -> None:
    """Backpropagate, clip the global gradient norm at ``clip`` and take one optimiser step."""
    optimiser.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(net.parameters(), clip)
    optimiser.step()
