"""Structural comparison of one training run: its traces as state machines (paper §4.3).

Reference traces (SPEC §5): for prediction tasks the evaluation episodes, read by both agents;
for bandit tasks the streams the meta-learner generated, which the Gittins agent also read
(``/rnn/<label>/opt`` of the trace file). The output functions used on embedded states:

- Opt, prediction: the posterior predictive of the reconstructed statistics, brought into
  their valid domain (:meth:`metabayes.conjugate.ConjugateModel.valid_statistics`);
- Opt, bandits: the Gittins policy at the nearest reachable Bayes state (counts rounded to
  whole numbers in [0, T], :func:`metabayes.bandit_agents.valid_statistics`);
- RNN: its decoder and readout (:meth:`metabayes.rnn.MetaLearner.emit`) applied to the
  hidden half h of the reconstructed (c, h), clipped to h's range [−1, 1].

D_o is eq. 2 for prediction, Σ_t KL(π_Opt ‖ π_RNN) averaged over episodes, with the Opt-side
output first in both directions; for bandits the eq. 3 form on expected rewards,
|mean over episodes of Σ_t Σ_a (π_Opt(a) − π_RNN(a)) θ_a|.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import torch

from metabayes.analysis.structure import (
    Comparison,
    EmbeddingSettings,
    Machine,
    OutputDissimilarity,
    Split,
    compare,
)
from metabayes.bandit_agents import GittinsAgent, valid_statistics
from metabayes.families import Categorical, Family
from metabayes.rnn import MetaLearner
from metabayes.tasks import PredictionTask
from metabayes.tasks.bandit import N_ARMS
from metabayes.traces import Trace

LABELS = ("init", "final")
"""The checkpoints compared (paper Fig. 4: the untrained and the trained meta-learner)."""


def rnn_output_function(net: MetaLearner, family: Family) -> Callable[[np.ndarray], np.ndarray]:
    """The meta-learner's output at arbitrary states (..., 2N) laid out (c, h)."""
    N = net.hidden_size

    @torch.no_grad()
    def emit(states: np.ndarray) -> np.ndarray:
        h = torch.as_tensor(np.clip(states[..., N:], -1.0, 1.0), dtype=torch.float32)
        raw, _ = net.emit(h)
        return family.params(raw.double()).numpy()

    return emit


def prediction_machines(
    trace: Trace, label: str, net: MetaLearner, task: PredictionTask
) -> tuple[Machine, Machine]:
    """Opt and the RNN checkpoint ``label`` on the evaluation episodes."""
    model = task.model
    opt = Machine(
        trace.opt.states,
        trace.opt.outputs,
        lambda states: model.predictive(model.valid_statistics(states)),
    )
    rnn = trace.rnn[label]
    return opt, Machine(rnn.states, rnn.outputs, rnn_output_function(net, model.family))


def bandit_machines(
    trace: Trace, label: str, net: MetaLearner, gittins: GittinsAgent
) -> tuple[Machine, Machine]:
    """The RNN checkpoint ``label`` on the streams it generated, and Opt fed those streams."""
    rnn = trace.rnn[label]
    T = rnn.states.shape[1]
    task = gittins.task

    def emit(states: np.ndarray) -> np.ndarray:
        flat = valid_statistics(task, states.reshape(-1, states.shape[-1]), T)
        return gittins.probabilities(flat).reshape(*states.shape[:-1], N_ARMS)

    opt = Machine(rnn.opt.states, rnn.opt.outputs, emit)
    return opt, Machine(rnn.states, rnn.outputs, rnn_output_function(net, Categorical(N_ARMS)))


def kl_dissimilarity(family: Family) -> OutputDissimilarity:
    """Eq. 2: mean over episodes of Σ_t KL(π_Opt ‖ π_RNN)."""

    def dissimilarity(opt_outputs, rnn_outputs, episodes):
        return float(family.kl(opt_outputs, rnn_outputs).sum(axis=1).mean())

    return dissimilarity


def expected_reward_dissimilarity(theta: np.ndarray) -> OutputDissimilarity:
    """Eq. 3 form: |mean over episodes of Σ_t Σ_a (π_Opt(a) − π_RNN(a)) θ_a|, θ (K, 2)."""

    def dissimilarity(opt_outputs, rnn_outputs, episodes):
        gap = ((opt_outputs - rnn_outputs) * theta[episodes, None, :]).sum(axis=(1, 2))
        return float(abs(gap.mean()))

    return dissimilarity


def structure_table(
    trace: Trace,
    comparisons: dict[str, Comparison],
    split: Split,
    provenance: dict[str, str],
) -> pd.DataFrame:
    """One row per (checkpoint, direction): D_s, D_o and what they were measured with.

    Columns: task, seed, checkpoint, update, direction, d_s, d_o, epochs (of ϕ's training),
    n_components, rnn_explained (fraction of the RNN state variance along the n principal
    components), rnn_truncation_d_o (D_o of the RNN's own states after the rank-n round
    trip, a floor for Opt → RNN), n_train, n_validation, n_test (episodes), then the
    ``provenance`` columns (config_hash, code_version).
    """
    rows = []
    for label, comparison in comparisons.items():
        for direction, simulation in comparison.simulations.items():
            rows.append(
                {
                    "task": trace.task,
                    "seed": trace.seed,
                    "checkpoint": label,
                    "update": trace.rnn[label].update,
                    "direction": direction,
                    "d_s": simulation.d_s,
                    "d_o": simulation.d_o,
                    "epochs": simulation.epochs,
                    "n_components": len(comparison.opt.scale),
                    "rnn_explained": comparison.rnn.explained,
                    "rnn_truncation_d_o": comparison.rnn_truncation_d_o,
                    "n_train": len(split.train),
                    "n_validation": len(split.validation),
                    "n_test": len(split.test),
                    **provenance,
                }
            )
    return pd.DataFrame(rows)


def compare_run(
    seed: int,
    machines: dict[str, tuple[Machine, Machine]],
    dissimilarity: OutputDissimilarity,
    split: Split,
    settings: EmbeddingSettings,
) -> dict[str, Comparison]:
    """Both directions for each checkpoint label's (Opt, RNN); ϕ is seeded by the run's seed."""
    return {
        label: compare(opt, rnn, split, settings, dissimilarity, seed=seed)
        for label, (opt, rnn) in machines.items()
    }
