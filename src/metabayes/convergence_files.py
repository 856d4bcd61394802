"""The HDF5 file of one task's convergence analysis: the one module that knows its layout.

One file per task, ``results/convergence/{task}.h5``, holding what Figure 2 draws. P points:
every (seed, checkpoint) of the task's runs in training order, seed by seed, then Opt::

    attrs: format_version, task, kind, distance (measure of /distances), within (measure of
           /within), n_episodes (episodes the distances average over), stress (of the MDS),
           seeds, code_version, config_hash, settings (JSON)
    /points/seed          (P,)          int64    training seed, −1 for Opt
    /points/checkpoint    (P,)          str      checkpoint label, "opt" for Opt
    /points/update        (P,)          int64    parameter updates, −1 for Opt
    /distances            (P, P)        float64  pairwise behavioural distances
    /embedding            (P, 2)        float64  metric MDS, Opt at the origin
    /within               (S, C, T)     float64  per seed, checkpoint and step: dissimilarity
                                                 from Opt within the episode
    /performance          (S, C)        float64  per seed and checkpoint: log-loss or regret
                                                 per episode; attrs: measure, opt (Opt's)
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import numpy as np

from metabayes.analysis.convergence import (
    DISTANCE_MEASURES,
    PERFORMANCE_MEASURES,
    WITHIN_MEASURES,
    Convergence,
    Embedding,
    Points,
)
from metabayes.io import sealed_hdf5, verified_hdf5

FORMAT_VERSION = 1


@dataclass
class ConvergenceFile:
    convergence: Convergence
    attrs: dict


def write_convergence(path: str | os.PathLike, convergence: Convergence, attrs: dict) -> None:
    """Write atomically; ``attrs`` adds provenance (code_version, config_hash, settings)."""
    c = convergence
    with sealed_hdf5(path) as f:
        f.attrs.update(
            format_version=FORMAT_VERSION,
            task=c.task,
            kind=c.kind,
            distance=DISTANCE_MEASURES[c.kind],
            within=WITHIN_MEASURES[c.kind],
            n_episodes=c.n_episodes,
            stress=c.embedding.stress,
            seeds=np.array(c.seeds, dtype=np.int64),
        )
        for key, value in attrs.items():
            f.attrs[key] = json.dumps(value, sort_keys=True) if isinstance(value, dict) else value
        f.create_dataset("points/seed", data=c.points.seeds.astype(np.int64))
        f.create_dataset("points/checkpoint", data=np.array(c.points.labels, dtype="S"))
        f.create_dataset("points/update", data=c.points.updates.astype(np.int64))
        f.create_dataset("distances", data=c.distances)
        f.create_dataset("embedding", data=c.embedding.coordinates)
        f.create_dataset("within", data=c.within)
        performance = f.create_dataset("performance", data=c.performance)
        performance.attrs.update(measure=PERFORMANCE_MEASURES[c.kind], opt=c.opt_performance)


def read_convergence(path: str | os.PathLike) -> ConvergenceFile:
    with verified_hdf5(path) as f:
        if f.attrs["format_version"] != FORMAT_VERSION:
            raise ValueError(f"{path}: convergence format {f.attrs['format_version']} unsupported")
        points = Points(
            f["points/seed"][()],
            tuple(label.decode() for label in f["points/checkpoint"][()]),
            f["points/update"][()],
        )
        convergence = Convergence(
            task=str(f.attrs["task"]),
            kind=str(f.attrs["kind"]),
            points=points,
            distances=f["distances"][()],
            embedding=Embedding(f["embedding"][()], float(f.attrs["stress"])),
            within=f["within"][()],
            performance=f["performance"][()],
            opt_performance=float(f["performance"].attrs["opt"]),
            n_episodes=int(f.attrs["n_episodes"]),
        )
        skip = {"format_version", "task", "kind", "n_episodes", "stress"}
        attrs = {k: v for k, v in f.attrs.items() if k not in skip}
        return ConvergenceFile(convergence, attrs)
