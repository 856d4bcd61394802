"""The HDF5 file of one run's structural comparison: the one module that knows its layout.

One file per (task, seed), ``results/structure/{task}/seed{seed}.h5``, holding what Figure 3
draws: both agents' whitened principal-component coordinates on every reference episode,
both embeddings and the outputs there. ``<label>`` is ``init`` or ``final``, ``<direction>``
is ``rnn_to_opt`` (the RNN's states embedded in Opt's) or ``opt_to_rnn``::

    attrs: format_version, task, seed, kind, n_components, code_version, config_hash,
           settings (JSON: ϕ's settings and the split fractions)
    /split/{train,validation,test}      (k,)        int64    episode indices
    /<label>                            attrs: update, rnn_explained, rnn_truncation_d_o
    /<label>/{opt,rnn}/projected        (K, T, n)   float32  whitened PC coordinates
    /<label>/{opt,rnn}/outputs          (K, T, P)   float64  output emitted at the state
    /<label>/<direction>/embedded       (K, T, n)   float32  ϕ(state), in the other's coordinates
    /<label>/<direction>/outputs        (K, T, P)   float64  the other's output at ϕ(state)
                                        attrs: d_s, d_o, epochs

For bandits the reference episodes of a label are the streams that checkpoint generated.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import h5py
import numpy as np

from metabayes.analysis.structure import Comparison, Machine, Split
from metabayes.io import sealed_hdf5, verified_hdf5

FORMAT_VERSION = 1


@dataclass
class Embedding:
    """One direction as stored: embedded coordinates, outputs there and the scores."""

    embedded: np.ndarray
    outputs: np.ndarray
    d_s: float
    d_o: float


@dataclass
class CheckpointComparison:
    """One checkpoint: both agents' coordinates and own outputs, and both embeddings."""

    projected: dict[str, np.ndarray]  # "opt", "rnn" → (K, T, n)
    outputs: dict[str, np.ndarray]  # "opt", "rnn" → (K, T, P)
    embeddings: dict[str, Embedding]  # direction → Embedding
    update: int
    rnn_explained: float


@dataclass
class ComparisonFile:
    task: str
    seed: int
    split: Split
    checkpoints: dict[str, CheckpointComparison]
    attrs: dict


def write_comparisons(
    path: str | os.PathLike,
    comparisons: dict[str, Comparison],
    machines: dict[str, tuple[Machine, Machine]],
    updates: dict[str, int],
    split: Split,
    attrs: dict,
) -> None:
    """Write atomically; ``machines[label]`` is the (Opt, RNN) pair compared at ``label``."""
    with sealed_hdf5(path) as f:
        f.attrs["format_version"] = FORMAT_VERSION
        for key, value in attrs.items():
            f.attrs[key] = json.dumps(value, sort_keys=True) if isinstance(value, dict) else value
        for part in ("train", "validation", "test"):
            f.create_dataset(f"split/{part}", data=getattr(split, part).astype(np.int64))
        for label, comparison in comparisons.items():
            group = f.create_group(label)
            group.attrs.update(
                update=updates[label],
                rnn_explained=comparison.rnn.explained,
                rnn_truncation_d_o=comparison.rnn_truncation_d_o,
            )
            for agent, machine in zip(("opt", "rnn"), machines[label], strict=True):
                _dataset(group, f"{agent}/projected", comparison.projected[agent], np.float32)
                _dataset(group, f"{agent}/outputs", machine.outputs, np.float64)
            for direction, simulation in comparison.simulations.items():
                sub = group.create_group(direction)
                _dataset(sub, "embedded", simulation.embedded, np.float32)
                _dataset(sub, "outputs", simulation.outputs, np.float64)
                sub.attrs.update(d_s=simulation.d_s, d_o=simulation.d_o, epochs=simulation.epochs)


def read_comparisons(path: str | os.PathLike) -> ComparisonFile:
    with verified_hdf5(path) as f:
        if f.attrs["format_version"] != FORMAT_VERSION:
            raise ValueError(f"{path}: comparison format {f.attrs['format_version']} unsupported")
        split = Split(*(f[f"split/{part}"][()] for part in ("train", "validation", "test")))
        checkpoints = {label: _read_checkpoint(f[label]) for label in f if label != "split"}
        attrs = {k: v for k, v in f.attrs.items() if k not in ("task", "seed")}
        return ComparisonFile(str(f.attrs["task"]), int(f.attrs["seed"]), split, checkpoints, attrs)


def _read_checkpoint(group: h5py.Group) -> CheckpointComparison:
    embeddings = {
        name: Embedding(
            group[f"{name}/embedded"][()].astype(np.float64),
            group[f"{name}/outputs"][()],
            float(group[name].attrs["d_s"]),
            float(group[name].attrs["d_o"]),
        )
        for name in group
        if name not in ("opt", "rnn")
    }
    return CheckpointComparison(
        projected={a: group[f"{a}/projected"][()].astype(np.float64) for a in ("opt", "rnn")},
        outputs={a: group[f"{a}/outputs"][()] for a in ("opt", "rnn")},
        embeddings=embeddings,
        update=int(group.attrs["update"]),
        rnn_explained=float(group.attrs["rnn_explained"]),
    )


def _dataset(group: h5py.Group, name: str, data: np.ndarray, dtype) -> None:
    group.create_dataset(name, data=data.astype(dtype), compression="gzip", shuffle=True)
