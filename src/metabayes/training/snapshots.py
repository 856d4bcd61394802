"""Snapshots of a training loop, so that a killed run continues where it stopped.

A training job writes the whole state of its loop (networks, Adam moments, learning-rate
schedule, checkpoints and log rows so far) to ``resume.pt`` beside its outputs every minute or
so. Started again, it loads the snapshot if it belongs to the same run (task, seeds, settings,
code version and thread count) and goes on from the next update. Every batch is a function of
(seed, update) alone (:mod:`metabayes.rng`), so the resumed run ends with the same bits as an
uninterrupted one. The snapshot is deleted once the outputs are written.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from metabayes.io import save_torch
from metabayes.training.checkpoints import Checkpoints

log = logging.getLogger(__name__)

FORMAT_VERSION = 2
SNAPSHOT_NAME = "resume.pt"
"""File name of a run's snapshot, in the directory of its checkpoints."""

SNAPSHOT_EVERY_S = 60.0
"""Seconds between snapshots of a training run: at most this much work is lost to a kill."""


@dataclass
class SeedRecord:
    """What a training loop records for one of its seeds.

    Attributes:
        checkpoints: parameters saved so far, with the run's task, seed and settings.
        rows: training-log rows so far.
        window: per-update statistics since the last log row (loss or return).
    """

    checkpoints: Checkpoints
    rows: list[dict] = field(default_factory=list)
    window: list[float] = field(default_factory=list)


@dataclass
class TrainingLoop:
    """What a training loop carries from one update to the next.

    Attributes:
        net, optimiser, scheduler: the stacked models of its seeds, Adam and its
            learning-rate schedule.
        records: one :class:`SeedRecord` per seed, in the stack's order.
        update: the last update done (0 before the first).
    """

    net: torch.nn.Module
    optimiser: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    records: list[SeedRecord]
    update: int = 0
    _elapsed_before: float = 0.0
    _started: float = field(default_factory=time.perf_counter)

    def __post_init__(self):
        self._first_update = self.update

    def elapsed(self) -> float:
        """Seconds spent training this run, over all of its (resumed) processes."""
        return self._elapsed_before + time.perf_counter() - self._started

    def rate(self) -> float:
        """Updates per second, over the updates done since this process started or resumed."""
        done = self.update - self._first_update
        return done / max(time.perf_counter() - self._started, 1e-9)


class Snapshots:
    """Periodic snapshots of one run's :class:`TrainingLoop` in one file.

    Args:
        path: the snapshot file (``resume.pt`` beside the checkpoints, by convention).
        every_s: seconds between snapshots (0: after every update).
    """

    def __init__(self, path: str | os.PathLike, every_s: float = SNAPSHOT_EVERY_S):
        self.path = Path(path)
        self.every_s = every_s
        self._last = time.perf_counter()

    def restore(self, loop: TrainingLoop) -> bool:
        """Load the snapshot into ``loop`` if there is one of the same run; True if loaded.

        A snapshot of another run (other settings, code version or thread count) is left
        alone and training starts from update 0; it is overwritten by the first new snapshot.
        """
        if not self.path.exists():
            return False
        try:
            payload = torch.load(self.path, weights_only=True)
        except Exception as error:  # a file that is not a snapshot at all
            log.warning("ignoring unreadable snapshot %s (%s); starting afresh", self.path, error)
            return False
        mismatch = _mismatch(payload, _identity(loop))
        if mismatch:
            log.warning("ignoring snapshot %s: %s; starting afresh", self.path, mismatch)
            return False
        loop.net.load_state_dict(payload["net"])
        loop.optimiser.load_state_dict(payload["optimiser"])
        loop.scheduler.load_state_dict(payload["scheduler"])
        for record, saved in zip(loop.records, payload["records"], strict=True):
            record.checkpoints.states = saved["checkpoints"]
            record.rows = saved["rows"]
            record.window = saved["window"]
        loop.update = loop._first_update = payload["update"]
        loop._elapsed_before = payload["elapsed_s"]
        loop._started = time.perf_counter()
        log.info(
            "resuming from snapshot %s after update %d (%.0f s of training done)",
            self.path,
            loop.update,
            loop._elapsed_before,
        )
        return True

    def due(self) -> bool:
        """Whether ``every_s`` seconds have passed since the last snapshot (or the start)."""
        return time.perf_counter() - self._last >= self.every_s

    def save(self, loop: TrainingLoop) -> None:
        """Write the loop's state atomically (a kill mid-write keeps the previous snapshot)."""
        payload = {
            **_identity(loop),
            "update": loop.update,
            "elapsed_s": loop.elapsed(),
            "net": loop.net.state_dict(),
            "optimiser": loop.optimiser.state_dict(),
            "scheduler": loop.scheduler.state_dict(),
            "records": [
                {"checkpoints": r.checkpoints.states, "rows": r.rows, "window": r.window}
                for r in loop.records
            ],
        }
        save_torch(payload, self.path)
        self._last = time.perf_counter()

    def discard(self) -> None:
        """Delete the snapshot (once the run's outputs are written)."""
        self.path.unlink(missing_ok=True)


def _identity(loop: TrainingLoop) -> dict:
    """What must be equal for a snapshot to continue a run bit for bit."""
    first = loop.records[0].checkpoints
    return {
        "format_version": FORMAT_VERSION,
        "task": first.task,
        "seeds": [r.checkpoints.seed for r in loop.records],
        "settings": first.settings,
        "code_version": first.code_version,
        "threads": torch.get_num_threads(),
    }


def _mismatch(payload: dict, identity: dict) -> str | None:
    """The first field in which a snapshot differs from this run, described; None if none."""
    for key, value in identity.items():
        if payload.get(key) != value:
            return f"its {key} is {payload.get(key)!r}, this run's is {value!r}"
    return None
