"""Behavioural dissimilarity of the meta-learner from the Bayes-optimal agent (paper §3.2)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from metabayes.families import Family
from metabayes.traces import Trace


def prediction_dissimilarity(
    opt_outputs: np.ndarray, rnn_outputs: np.ndarray, family: Family
) -> np.ndarray:
    """Per-step term of paper eq. 2: (1/K) Σ_k KL(π_t^Opt ‖ π_t^RNN), shape (T,).

    Args:
        opt_outputs, rnn_outputs: predictive parameters on the same inputs, (K, T, P).
        family: the predictive family of both.

    Summing the result over t gives d(Opt, RNN) of eq. 2.
    """
    return family.kl(opt_outputs, rnn_outputs).mean(axis=0)


def behaviour_table(trace: Trace, family: Family) -> pd.DataFrame:
    """Eq. 2 for every checkpoint of a trace: one row per checkpoint, summed and per step.

    Columns: task, seed, checkpoint (label), update, kl_sum (eq. 2), kl_t1 … kl_tT, and the
    trace's config_hash and code_version (provenance).
    """
    rows = []
    for label in trace.labels:
        per_step = prediction_dissimilarity(trace.opt.outputs, trace.rnn[label].outputs, family)
        rows.append(
            {
                "task": trace.task,
                "seed": trace.seed,
                "checkpoint": label,
                "update": trace.rnn[label].update,
                "kl_sum": per_step.sum(),
                **{f"kl_t{t + 1}": v for t, v in enumerate(per_step)},
                "config_hash": trace.attrs.get("config_hash", ""),
                "code_version": trace.attrs.get("code_version", ""),
            }
        )
    return pd.DataFrame(rows)
