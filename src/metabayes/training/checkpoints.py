"""Checkpoint schedule and the checkpoint file of one training run."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field

import numpy as np
import torch

from metabayes.io import DIGEST, check_digest, save_torch
from metabayes.provenance import code_version

FORMAT_VERSION = 1


def checkpoint_schedule(n_updates: int, n_checkpoints: int) -> list[int]:
    """Updates after which parameters are saved: 0 ("init"), log-spaced, n_updates ("final").

    ``n_checkpoints`` counts all of them, including init and final; fewer are returned when
    the logarithmic grid rounds two points to the same update.
    """
    if n_checkpoints < 2:
        raise ValueError("n_checkpoints must be at least 2 (init and final)")
    grid = np.geomspace(1, n_updates, n_checkpoints - 1)
    return sorted({0, *np.round(grid).astype(int).tolist(), n_updates})


COMPARED = ("init", "final")
"""The checkpoints the paper compares: the untrained network and the trained one (claims,
Figures 3 and 4, the structural comparison; traces keep the LSTM states of these only)."""


def checkpoint_label(update: int, final_update: int) -> str:
    """'init', 'final' or 'update_<k>'."""
    if update == 0:
        return "init"
    return "final" if update == final_update else f"update_{update}"


@dataclass
class Checkpoints:
    """Parameters of one network at several points of its training, with provenance."""

    task: str
    seed: int
    settings: dict
    states: dict[int, dict[str, torch.Tensor]] = field(default_factory=dict)
    code_version: str = field(default_factory=code_version)

    @property
    def updates(self) -> list[int]:
        return sorted(self.states)

    def save(self, path: str | os.PathLike) -> None:
        """Write atomically with ``torch.save`` (:func:`metabayes.io.save_torch`)."""
        payload = {
            "format_version": FORMAT_VERSION,
            "task": self.task,
            "seed": self.seed,
            "settings": self.settings,
            "code_version": self.code_version,
            "states": self.states,
        }
        save_torch({**payload, DIGEST: _digest(payload)}, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Checkpoints:
        payload = torch.load(path, weights_only=True)
        if payload.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"{path}: unsupported checkpoint format {payload.get('format_version')}"
            )
        recorded = payload.pop(DIGEST, None)
        check_digest(path, recorded, _digest(payload))
        return cls(
            task=payload["task"],
            seed=payload["seed"],
            settings=payload["settings"],
            states=payload["states"],
            code_version=payload["code_version"],
        )


def _digest(payload: dict) -> str:
    """SHA-256 of a checkpoint payload: its metadata as sorted JSON, then every tensor's
    update, name, type, shape and bytes, in sorted order."""
    digest = hashlib.sha256()
    meta = {key: value for key, value in payload.items() if key != "states"}
    digest.update(json.dumps(meta, sort_keys=True, default=repr).encode())
    for update in sorted(payload["states"]):
        for name, tensor in sorted(payload["states"][update].items()):
            digest.update(f"#{update}/{name}:{tensor.dtype}{tuple(tensor.shape)}".encode())
            digest.update(tensor.detach().contiguous().cpu().numpy().tobytes())
    return digest.hexdigest()
