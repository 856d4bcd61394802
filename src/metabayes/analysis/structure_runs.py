"""Structural comparison of one training run: its traces as state machines (paper §4.3).

Reference traces (SPEC §5): for prediction tasks the evaluation episodes, read by both agents;
for bandit tasks the streams the meta-learner generated, which the Gittins agent also read
(``/rnn/<label>/opt`` of the trace file). The output functions used on embedded states:

- Opt, prediction: the posterior predictive of the reconstructed statistics, brought into
  their valid domain (:meth:`metabayes.conjugate.ConjugateModel.valid_statistics`);
- Opt, bandits: the Gittins policy at the nearest reachable Bayes state (counts rounded to
  whole numbers in [0, T], :meth:`metabayes.bandits.arms.ArmFamily.valid_statistics`);
- RNN: its decoder and readout (:meth:`metabayes.rnn.MetaLearner.emit`) applied to the
  hidden half h of the reconstructed (c, h), clipped to h's range [−1, 1].

D_o is eq. 2 for prediction, Σ_t KL(π_Opt ‖ π_RNN) averaged over episodes, with the Opt-side
output first in both directions; for bandits the eq. 3 form on expected rewards,
|mean over episodes of Σ_t Σ_a (π_Opt(a) − π_RNN(a)) θ_a|.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd
import torch

from metabayes.analysis.coordinates import Coordinates, in_coordinates
from metabayes.analysis.structure import (
    DIRECTIONS,
    Comparison,
    EmbeddingSettings,
    Machine,
    OutputDissimilarity,
    PendingComparison,
    Simulation,
    Split,
    iter_embeddings,
)
from metabayes.bandits.agents import GittinsAgent
from metabayes.families import Categorical, Family
from metabayes.rnn import MetaLearner
from metabayes.settings import Variant
from metabayes.tasks import PredictionTask
from metabayes.tasks.bandit import N_ARMS
from metabayes.traces import Trace


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
        flat = task.arms.valid_statistics(states.reshape(-1, states.shape[-1]), T)
        return gittins.probabilities(flat).reshape(*states.shape[:-1], N_ARMS)

    opt = Machine(rnn.opt.states, rnn.opt.outputs, emit)
    return opt, Machine(rnn.states, rnn.outputs, rnn_output_function(net, Categorical(N_ARMS)))


def kl_dissimilarity(family: Family) -> OutputDissimilarity:
    """Eq. 2: mean over episodes of Σ_t KL(π_Opt ‖ π_RNN), with its standard error."""

    def dissimilarity(opt_outputs, rnn_outputs, episodes):
        return _mean_and_error(family.kl(opt_outputs, rnn_outputs).sum(axis=1))

    return dissimilarity


def expected_reward_dissimilarity(theta: np.ndarray) -> OutputDissimilarity:
    """Eq. 3 form: |mean over episodes of Σ_t Σ_a (π_Opt(a) − π_RNN(a)) θ_a|, θ (K, 2), with
    the standard error of the mean inside the absolute value."""

    def dissimilarity(opt_outputs, rnn_outputs, episodes):
        gap = ((opt_outputs - rnn_outputs) * theta[episodes, None, :]).sum(axis=(1, 2))
        mean, error = _mean_and_error(gap)
        return abs(mean), error

    return dissimilarity


def _mean_and_error(per_episode: np.ndarray) -> tuple[float, float]:
    """Mean over episodes and its standard error (0 for a single episode)."""
    k = len(per_episode)
    error = per_episode.std(ddof=1) / np.sqrt(k) if k > 1 else 0.0
    return float(per_episode.mean()), float(error)


def structure_table(
    trace: Trace,
    comparisons: dict[str, Comparison],
    split: Split,
    variant: Variant,
    provenance: dict[str, str],
) -> pd.DataFrame:
    """One row per (checkpoint, direction): D_s, D_o and what they were measured with.

    Columns: task, seed, checkpoint, update, direction, d_s, d_o, d_o_se (its standard error
    over the held-out episodes), epochs (of ϕ's training), n_components (n, the Bayes state
    dimension), opt_coordinates, rnn_components (the setting) and n_rnn_components (m),
    phi_target, rnn_explained (fraction of the RNN state variance along its m principal
    components), rnn_truncation_d_o (D_o of the RNN's own states after the rank-m round
    trip, a floor for Opt → RNN into the projection), n_train, n_validation, n_test
    (episodes), then the ``provenance`` columns (config_hash, code_version).
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
                    "d_o_se": simulation.d_o_se,
                    "epochs": simulation.epochs,
                    "n_components": len(comparison.opt.scale),
                    "opt_coordinates": variant.opt_coordinates,
                    "rnn_components": variant.rnn_components,
                    "n_rnn_components": len(comparison.rnn.scale),
                    "phi_target": variant.phi_target,
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
    variants: Sequence[Variant],
    coordinates: Coordinates,
) -> list[dict[str, Comparison]]:
    """Both directions for each checkpoint label's (Opt, RNN) under each analysis variant.

    ϕ is seeded by the run's seed, the same for every variant. A ϕ that several variants
    would fit alike (equal :meth:`Variant.fit_key`) is fitted once, and all ϕs of the run are
    fitted together (:func:`metabayes.analysis.structure.iter_embeddings`).

    Args:
        machines: label → (Opt with its state as sufficient statistics, the RNN).
        variants: the analysis choices; one dict of comparisons by label is returned for each.
        coordinates: Opt's models; their name is replaced by each variant's.
    """
    planned: list[dict[str, tuple[PendingComparison, dict[str, tuple]]]] = []
    owners: dict[tuple, tuple[PendingComparison, str]] = {}  # fit key → who fits its ϕ, once
    for variant in variants:
        coded = replace(coordinates, name=variant.opt_coordinates)
        plan = {}
        for label, (opt, rnn) in machines.items():
            m = variant.components(opt.states.shape[-1], rnn.states.shape[-1])
            comparison = PendingComparison(
                in_coordinates(opt, coded),
                rnn,
                split,
                dissimilarity,
                rnn_components=m,
                rnn_full_state=variant.full_state,
                full_state_target=variant.phi_target == "state",
            )
            fit_keys = {d: (label, variant.fit_key(d, m)) for d in DIRECTIONS}
            for direction, key in fit_keys.items():
                owners.setdefault(key, (comparison, direction))
            plan[label] = comparison, fit_keys
        planned.append(plan)
    # Each ϕ(x) is scored as soon as its stack is fitted and then dropped: a bandit's
    # full-state ϕ(x) alone is 41 MB, and a run has 6 of them under the paper's variants.
    keys = list(owners)
    problems = [comparison.regression(direction) for comparison, direction in owners.values()]
    simulations: dict[tuple, Simulation] = {}
    for index, fit in iter_embeddings(problems, settings, seed):
        comparison, direction = owners[keys[index]]
        simulations[keys[index]] = comparison.simulation(direction, *fit)
    results = []
    for plan in planned:
        results.append(
            {
                label: comparison.finish({d: simulations[key] for d, key in fit_keys.items()})
                for label, (comparison, fit_keys) in plan.items()
            }
        )
    return results
