"""The HDF5 trace format: the one module that knows dataset names, shapes and attributes.

One file per (task, seed), ``results/traces/{task}/seed{seed}.h5``. Step index 0 holds
t = 1 throughout; ``states[:, t]`` is an agent's state after reading ``inputs[:, t]`` and
``outputs[:, t]`` what it emits in that state. ``<label>`` is ``init``, ``update_<k>`` or
``final``; each RNN group has attrs ``update`` (number of parameter updates) and ``label``.
Agent groups carry ``output_names`` and ``state_names``.

Root attributes (both kinds)::

    format_version, task, kind ("prediction" or "bandit"), seed, episode_length T,
    n_episodes K, evaluation_seed, code_version, training_code_version, config_hash,
    config (JSON of the training and evaluation settings); bandits also gamma

Prediction tasks: both agents read the same inputs::

    /episodes/theta          (K, theta_dim)  float64  task parameters, attrs: names
    /episodes/observations   (K, T)          float64  x_1 … x_T (outcome index for categorical)
    /episodes/inputs         (K, T, D)       float32  what both agents read at each step
    /opt/outputs             (K, T, P)       float64  Bayes-optimal predictive parameters
    /opt/states              (K, T, S)       float64  sufficient statistics after each input
    /rnn/<label>/outputs     (K, T, P)       float64  meta-learner predictive parameters
    /rnn/<label>/states      (K, T, 2N)      float32  LSTM (c, h) after each input

``outputs[:, t]`` is the prediction of ``observations[:, t]``.

Bandit tasks: every agent plays the same reward tables with the same action uniforms
(a_t = 1 iff u_t < π_t(1)), so each agent group holds its own stream::

    /episodes/theta            (K, 2)      float64  arm parameters θ_a
    /episodes/reward_table     (K, T, 2)   float64  r[t, a], read by every agent
    /episodes/uniforms         (K, T)      float64  action uniforms u_t, shared by every agent
    /<agent>/inputs            (K, T, 3)   float32  (one-hot a_{t−1}, r_{t−1}) it read
    /<agent>/actions           (K, T)      int8     arms it pulled
    /<agent>/rewards           (K, T)      float64  r[t, a_t]
    /<agent>/outputs           (K, T, 2)   float64  action probabilities π_t
    /<agent>/states            (K, T, S)   float64  Bayes statistics (float32 (c, h) for RNNs)
    /rnn/<label>/values        (K, T)      float64  the meta-learner's value estimates
    /rnn/<label>/opt/outputs   (K, T, 2)   float64  Gittins agent fed the meta-learner's inputs
    /rnn/<label>/opt/states    (K, T, 4)   float64  … its sufficient statistics

with ``<agent>`` one of ``opt`` (the Gittins agent, the paper's Opt), ``dp`` (finite-horizon
Bayes-optimal policy), ``random`` and ``rnn/<label>``. The meta-learner's ``states`` are
stored for ``init`` and ``final`` only (:data:`metabayes.training.checkpoints.COMPARED`).
``/rnn/<label>/opt`` is the paper's §4.3 reference trace: the meta-learner generates the
stream, the Bayes-optimal agent reads it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import h5py
import numpy as np

from metabayes.io import sealed_hdf5, verified_hdf5

FORMAT_VERSION = 1
_COMPRESSION = {"compression": "gzip", "compression_opts": 4, "shuffle": True}


BASELINES = ("dp", "random")
"""Reference agents of bandit traces besides ``opt`` (top-level groups)."""


_STREAM = ("inputs", "actions", "rewards", "values")  # optional per-agent datasets (bandits)
_STREAM_DTYPES = {"inputs": np.float32, "actions": np.int8, "rewards": np.float64}


@dataclass
class AgentTrace:
    """One agent's outputs and states on the evaluation episodes.

    For bandits also the stream it generated (``inputs``, ``actions``, ``rewards``), the
    meta-learner's ``values``, and in ``opt`` the Gittins agent fed that stream.
    """

    outputs: np.ndarray
    states: np.ndarray | None
    output_names: tuple[str, ...] = ()
    state_names: tuple[str, ...] = ()
    update: int | None = None
    inputs: np.ndarray | None = None
    actions: np.ndarray | None = None
    rewards: np.ndarray | None = None
    values: np.ndarray | None = None
    opt: AgentTrace | None = None


@dataclass
class Trace:
    """Everything in one trace file.

    Prediction traces have ``observations`` and ``inputs`` (shared by both agents); bandit
    traces have ``reward_table``, ``uniforms`` and the reference agents in ``baselines``
    (``dp``, ``random``), and each agent trace carries its own stream.
    """

    task: str
    seed: int
    theta: np.ndarray
    opt: AgentTrace
    rnn: dict[str, AgentTrace]
    observations: np.ndarray | None = None
    inputs: np.ndarray | None = None
    reward_table: np.ndarray | None = None
    uniforms: np.ndarray | None = None
    baselines: dict[str, AgentTrace] = field(default_factory=dict)
    attrs: dict = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        """Checkpoint labels in training order."""
        return sorted(self.rnn, key=lambda label: self.rnn[label].update)


def write_trace(path: str | os.PathLike, trace: Trace) -> None:
    """Write a trace file atomically."""
    with sealed_hdf5(path) as f:
        f.attrs.update({"format_version": FORMAT_VERSION, "task": trace.task, "seed": trace.seed})
        f.attrs.update({k: _attr(v) for k, v in trace.attrs.items()})
        episodes = f.create_group("episodes")
        episodes.create_dataset("theta", data=trace.theta)
        if trace.observations is not None:
            episodes.create_dataset("observations", data=trace.observations)
        if trace.inputs is not None:
            inputs = trace.inputs.astype(np.float32)
            episodes.create_dataset("inputs", data=inputs, **_COMPRESSION)
        for name in ("reward_table", "uniforms"):
            if getattr(trace, name) is not None:
                episodes.create_dataset(name, data=getattr(trace, name), **_COMPRESSION)
        _write_agent(f.create_group("opt"), trace.opt, np.float64)
        for name, agent in trace.baselines.items():
            _write_agent(f.create_group(name), agent, np.float64)
        for label, agent in trace.rnn.items():
            group = f.create_group(f"rnn/{label}")
            group.attrs["label"] = label
            _write_agent(group, agent, np.float32)


def read_trace(
    path: str | os.PathLike, labels: list[str] | None = None, states: bool = True
) -> Trace:
    """Read a trace file; ``labels`` restricts which RNN checkpoints are loaded, and
    ``states=False`` skips the agents' states (most of a bandit trace's size)."""
    with verified_hdf5(path) as f:
        if f.attrs["format_version"] != FORMAT_VERSION:
            raise ValueError(f"{path}: trace format {f.attrs['format_version']} is not supported")
        wanted = list(f["rnn"]) if labels is None else labels
        episodes = f["episodes"]
        optional = {
            name: episodes[name][()]
            for name in ("observations", "inputs", "reward_table", "uniforms")
            if name in episodes
        }
        return Trace(
            task=str(f.attrs["task"]),
            seed=int(f.attrs["seed"]),
            theta=episodes["theta"][()],
            opt=_read_agent(f["opt"], states),
            rnn={label: _read_agent(f[f"rnn/{label}"], states) for label in wanted},
            baselines={name: _read_agent(f[name], states) for name in BASELINES if name in f},
            attrs={k: v for k, v in f.attrs.items() if k not in ("task", "seed")},
            **optional,
        )


def _write_agent(group: h5py.Group, agent: AgentTrace, state_dtype) -> None:
    group.create_dataset("outputs", data=agent.outputs.astype(np.float64), **_COMPRESSION)
    if agent.states is not None:
        group.create_dataset("states", data=agent.states.astype(state_dtype), **_COMPRESSION)
    for name in _STREAM:
        data = getattr(agent, name)
        if data is not None:
            dtype = _STREAM_DTYPES.get(name, np.float64)
            group.create_dataset(name, data=data.astype(dtype), **_COMPRESSION)
    group.attrs["output_names"] = list(agent.output_names)
    group.attrs["state_names"] = list(agent.state_names)
    if agent.update is not None:
        group.attrs["update"] = agent.update
    if agent.opt is not None:
        _write_agent(group.create_group("opt"), agent.opt, np.float64)


def _read_agent(group: h5py.Group, states: bool = True) -> AgentTrace:
    stream = {name: group[name][()] for name in _STREAM if name in group}
    if "actions" in stream:
        stream["actions"] = stream["actions"].astype(np.int64)
    return AgentTrace(
        outputs=group["outputs"][()],
        states=group["states"][()] if states and "states" in group else None,
        output_names=tuple(str(n) for n in group.attrs["output_names"]),
        state_names=tuple(str(n) for n in group.attrs["state_names"]),
        update=int(group.attrs["update"]) if "update" in group.attrs else None,
        opt=_read_agent(group["opt"], states) if "opt" in group else None,
        **stream,
    )


def _attr(value):
    """HDF5 attributes hold scalars, strings and arrays; dicts are stored as JSON."""
    return json.dumps(value, sort_keys=True) if isinstance(value, dict) else value
