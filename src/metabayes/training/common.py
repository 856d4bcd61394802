"""Helpers shared by the training loops."""

from __future__ import annotations

import math


class TrainingDiverged(RuntimeError):
    """Raised when the loss becomes NaN or infinite."""


def format_duration(seconds: float) -> str:
    """Seconds → '12m05s', for ETAs in training logs."""
    minutes, seconds = divmod(int(math.ceil(seconds)), 60)
    return f"{minutes}m{seconds:02d}s"
