"""Policies of the two-armed bandits: Bayes states to action probabilities, and greedy choice."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Policy = Callable[[np.ndarray], np.ndarray]
"""Bayes states (m, 4) → action probabilities (m, 2)."""


def greedy(q: np.ndarray, tie: np.ndarray | None = None) -> np.ndarray:
    """Probabilities (..., 2) of the argmax of q (..., 2); q_0 = q_1, or ``tie``, gives 50/50."""
    equal = q[..., 0] == q[..., 1]
    probs = np.stack([q[..., 0] > q[..., 1], q[..., 1] > q[..., 0]], axis=-1).astype(np.float64)
    probs[equal if tie is None else equal | tie] = 0.5
    return probs
