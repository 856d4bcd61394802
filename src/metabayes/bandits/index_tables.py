"""The Gittins-table file of a bandit task, ``results/gittins/{task}.h5``: the DAG's first step.

Layout::

    /                attrs: format_version, task, kind (the arm family's name), gamma,
                            max_pulls, episode_length, tolerance, accuracy (text),
                            code_version, values (JSON, see below)
    /arm<a>/index    Bernoulli: (M + 1, M + 1) float64, ν(a_a + s, b_a + f) at s + f ≤ M
                     (NaN beyond); Gaussian: (M + 1,) float64, ν(0, n0_a + k), k pulls,
                     n0_a = σ²/s0_a²; attrs: prior of the arm

with M = ``max_pulls``. ``values`` holds the expected returns over the T-step episode of the
Gittins, dynamic-programming and random policies, discounted by the task's γ and
undiscounted, computed by backward induction (exact for Bernoulli arms, on the DP grid for
Gaussian arms), so every Monte Carlo return in the behaviour tables has an exact reference.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict

import numpy as np

from metabayes.bandits.agents import (
    DynamicProgrammingAgent,
    GittinsAgent,
    RandomAgent,
    gittins_tables,
    policy_value,
)
from metabayes.io import sealed_hdf5, verified_hdf5
from metabayes.tasks.bandit import BanditTask

FORMAT_VERSION = 1


def reference_values(task: BanditTask, tables: list[np.ndarray], horizon: int) -> dict:
    """Expected returns of the Gittins, DP and random policies over ``horizon`` steps.

    Returns:
        {agent: {"discounted": E Σ γ^{t−1} r_t, "undiscounted": E Σ r_t}}; the DP policy is
        the one optimal for the discounted return (its undiscounted return is reported too).
    """
    dp = DynamicProgrammingAgent(task, horizon)
    policies = {
        "gittins": GittinsAgent(task, tables).probabilities,
        "dp": dp.probabilities,
        "random": RandomAgent(task).probabilities,
    }
    return {
        name: {
            "discounted": policy_value(task, policy, horizon),
            "undiscounted": policy_value(task, policy, horizon, gamma=1.0),
        }
        for name, policy in policies.items()
    }


def make_index_tables(
    path: str | os.PathLike, task: BanditTask, episode_length: int, code_version: str = ""
) -> dict:
    """Compute a task's Gittins tables and reference values, write them; returns the values.

    The tables cover 2T pulls per arm, so agents can be run beyond the training horizon.
    """
    max_pulls = 2 * episode_length
    tables = gittins_tables(task, max_pulls)
    values = reference_values(task, tables, episode_length)
    with sealed_hdf5(path) as f:
        f.attrs.update(
            {
                "format_version": FORMAT_VERSION,
                "task": task.name,
                "kind": task.arms.name,
                "gamma": task.gamma,
                "max_pulls": max_pulls,
                "episode_length": episode_length,
                "tolerance": 1e-9,
                "accuracy": task.arms.table_accuracy,
                "code_version": code_version,
                "values": json.dumps(values, sort_keys=True),
            }
        )
        for arm, (table, prior) in enumerate(zip(tables, task.priors, strict=True)):
            dataset = f.create_dataset(f"arm{arm}/index", data=table)
            dataset.attrs.update({k: float(v) for k, v in asdict(prior).items()})
    return values


def read_index_tables(path: str | os.PathLike, task: BanditTask) -> list[np.ndarray]:
    """The per-arm tables of a table file, checked against the task (name and γ)."""
    with verified_hdf5(path) as f:
        if (str(f.attrs["task"]), float(f.attrs["gamma"])) != (task.name, task.gamma):
            raise ValueError(
                f"{path} holds tables of task {f.attrs['task']} at gamma {f.attrs['gamma']}, "
                f"not {task.name} at gamma {task.gamma}"
            )
        tables = [f[f"arm{arm}/index"][()] for arm in range(len(task.priors))]
    for table in tables:
        table.flags.writeable = False
    return tables


def read_reference_values(path: str | os.PathLike) -> dict:
    """The exact reference values stored with the tables."""
    with verified_hdf5(path) as f:
        return json.loads(f.attrs["values"])
