"""Named random streams: every stochastic quantity is a function of (seed, purpose, keys).

Each purpose gets its own stream, so that, e.g., changing the batch size changes the training
data but not the initial weights, and evaluation episodes are the same for every agent and
every training seed (common random numbers).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import torch

STREAMS = {
    "init": 1,
    "data": 2,
    "actions": 3,
    "evaluation": 4,
    "structure": 5,
    "generalisation": 6,
}


def numpy_rng(seed: int, stream: str, *keys: int) -> np.random.Generator:
    """Independent generator for (seed, stream, *keys), e.g. ``numpy_rng(3, "data", update)``."""
    return np.random.default_rng([seed, STREAMS[stream], *keys])


def torch_seed(seed: int, stream: str, *keys: int) -> int:
    """A 63-bit torch seed derived from (seed, stream, *keys)."""
    sequence = np.random.SeedSequence([seed, STREAMS[stream], *keys])
    return int(sequence.generate_state(1, np.uint64)[0] >> 1)


@contextlib.contextmanager
def seeded_torch(seed: int, stream: str, *keys: int) -> Iterator[None]:
    """The one place that touches torch's global RNG: module initialisation uses it.

    Inside the block the global generator is seeded from (seed, stream, *keys); outside it is
    restored, so nothing else depends on global state.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(torch_seed(seed, stream, *keys))
        yield
