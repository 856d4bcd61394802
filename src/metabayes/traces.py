"""The HDF5 trace format: the one module that knows dataset names, shapes and attributes.

One file per (task, seed), ``results/traces/{task}/seed{seed}.h5``::

    /                        attrs: format_version, task, kind ("prediction"), seed,
                                    episode_length T, n_episodes K, evaluation_seed,
                                    code_version, config_hash, config (JSON of the settings)
    /episodes/theta          (K, theta_dim)  float64  task parameters, attrs: names
    /episodes/observations   (K, T)          float64  x_1 … x_T (outcome index for categorical)
    /episodes/inputs         (K, T, D)       float32  what both agents read at each step
    /opt/outputs             (K, T, P)       float64  Bayes-optimal predictive parameters
    /opt/states              (K, T, S)       float64  sufficient statistics after each input
    /rnn/<label>/outputs     (K, T, P)       float64  meta-learner predictive parameters
    /rnn/<label>/states      (K, T, 2N)      float32  LSTM (c, h) after each input

``<label>`` is ``init``, ``update_<k>`` or ``final``; each RNN group has attrs ``update``
(number of parameter updates) and ``label``. Output groups carry ``output_names`` and
``state_names``. Step index 0 holds t = 1. ``states[:, t]`` is the state after reading
``inputs[:, t]``, and ``outputs[:, t]`` is the prediction of ``observations[:, t]`` emitted in
that state.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import h5py
import numpy as np

from metabayes.io import atomic_path

FORMAT_VERSION = 1
_COMPRESSION = {"compression": "gzip", "compression_opts": 4, "shuffle": True}


@dataclass
class AgentTrace:
    """One agent's outputs and states on the evaluation episodes."""

    outputs: np.ndarray
    states: np.ndarray
    output_names: tuple[str, ...] = ()
    state_names: tuple[str, ...] = ()
    update: int | None = None


@dataclass
class Trace:
    """Everything in one trace file."""

    task: str
    seed: int
    theta: np.ndarray
    observations: np.ndarray
    inputs: np.ndarray
    opt: AgentTrace
    rnn: dict[str, AgentTrace]
    attrs: dict = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        """Checkpoint labels in training order."""
        return sorted(self.rnn, key=lambda label: self.rnn[label].update)


def write_trace(path: str | os.PathLike, trace: Trace) -> None:
    """Write a trace file atomically."""
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs.update({"format_version": FORMAT_VERSION, "task": trace.task, "seed": trace.seed})
        f.attrs.update({k: _attr(v) for k, v in trace.attrs.items()})
        episodes = f.create_group("episodes")
        episodes.create_dataset("theta", data=trace.theta)
        episodes.create_dataset("observations", data=trace.observations)
        episodes.create_dataset("inputs", data=trace.inputs.astype(np.float32), **_COMPRESSION)
        _write_agent(f.create_group("opt"), trace.opt, np.float64)
        for label, agent in trace.rnn.items():
            group = f.create_group(f"rnn/{label}")
            group.attrs["label"] = label
            _write_agent(group, agent, np.float32)


def read_trace(path: str | os.PathLike, labels: list[str] | None = None) -> Trace:
    """Read a trace file; ``labels`` restricts which RNN checkpoints are loaded."""
    with h5py.File(path, "r") as f:
        if f.attrs["format_version"] != FORMAT_VERSION:
            raise ValueError(f"{path}: trace format {f.attrs['format_version']} is not supported")
        wanted = list(f["rnn"]) if labels is None else labels
        return Trace(
            task=str(f.attrs["task"]),
            seed=int(f.attrs["seed"]),
            theta=f["episodes/theta"][()],
            observations=f["episodes/observations"][()],
            inputs=f["episodes/inputs"][()],
            opt=_read_agent(f["opt"]),
            rnn={label: _read_agent(f[f"rnn/{label}"]) for label in wanted},
            attrs={k: v for k, v in f.attrs.items() if k not in ("task", "seed")},
        )


def _write_agent(group: h5py.Group, agent: AgentTrace, state_dtype) -> None:
    group.create_dataset("outputs", data=agent.outputs.astype(np.float64), **_COMPRESSION)
    group.create_dataset("states", data=agent.states.astype(state_dtype), **_COMPRESSION)
    group.attrs["output_names"] = list(agent.output_names)
    group.attrs["state_names"] = list(agent.state_names)
    if agent.update is not None:
        group.attrs["update"] = agent.update


def _read_agent(group: h5py.Group) -> AgentTrace:
    return AgentTrace(
        outputs=group["outputs"][()],
        states=group["states"][()],
        output_names=tuple(str(n) for n in group.attrs["output_names"]),
        state_names=tuple(str(n) for n in group.attrs["state_names"]),
        update=int(group.attrs["update"]) if "update" in group.attrs else None,
    )


def _attr(value):
    """HDF5 attributes hold scalars, strings and arrays; dicts are stored as JSON."""
    return json.dumps(value, sort_keys=True) if isinstance(value, dict) else value
