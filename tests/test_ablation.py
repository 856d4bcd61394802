"""The width ablation's tables and claim (App. D.3, D.7) and the memoryless floors they use."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from metabayes.agents import BayesOptimalPredictor, rollout
from metabayes.analysis.ablation import bayes_state_dim, memory_table, speed_table
from metabayes.analysis.behaviour import constant_dissimilarity, prediction_dissimilarity
from metabayes.analysis.claims import memory_claim_rows
from metabayes.config import load_config
from metabayes.settings import Settings
from metabayes.simulate import evaluation_episodes
from metabayes.tasks import PREDICTION_TASKS

from .conftest import REPO

MAIN = {"prediction": 32, "bandit": 256}


def run_rows(task, seed, updates, values, **columns):
    """Behaviour-table rows of one run: init, intermediate checkpoints, final."""
    labels = ["init", *[f"update_{u}" for u in updates[1:-1]], "final"]
    measure = "eq3" if "bandit" in task else "kl_sum"
    return pd.DataFrame(
        {"task": task, "seed": seed, "checkpoint": labels, "update": updates, measure: values}
        | columns
    )


def prediction_table(task, finals, init=3.0, floor=2.9):
    """Runs of a prediction task, one per final value, seeds 0, 1, ..."""
    return pd.concat(
        [
            run_rows(task, seed, [0, 10, 100], [init, 1.0, final], constant_kl_sum=floor)
            for seed, final in enumerate(finals)
        ],
        ignore_index=True,
    )


def bandit_table(finals, se=0.01, init=2.0, floor=1.8):
    task = "bernoulli_bandit_beta_1_1"
    return pd.concat(
        [
            run_rows(task, seed, [0, 10, 100], [init, 1.0, final], eq3_se=se, random_eq3=floor)
            for seed, final in enumerate(finals)
        ],
        ignore_index=True,
    )


def test_bayes_state_dimensions():
    assert bayes_state_dim("bernoulli_beta_1_1") == 2  # (n_ones, n_zeros)
    assert bayes_state_dim("categorical_dir_1_1_1") == 3
    assert bayes_state_dim("gaussian_normal_gamma_1") == 3  # (n, Σx, Σx²)
    assert bayes_state_dim("bernoulli_bandit_beta_1_1") == 4  # both arms' counts


def test_settings_add_the_main_width_and_set_the_width_of_training():
    settings = Settings.from_config(load_config([f"{REPO}/config.yaml"]))
    ablation = settings.ablation
    assert ablation.widths_of("bernoulli_beta_1_1")[-1] == 32  # main width, sorted in
    assert 256 in ablation.widths_of("bernoulli_bandit_beta_1_1")
    assert settings.training_of("bernoulli_beta_1_1", 4).hidden_size == 4
    assert settings.training_of("bernoulli_beta_1_1") == settings.training["prediction"]
    narrow = settings.training_of("bernoulli_bandit_beta_1_1", 8)
    assert narrow.learning_rate == settings.training["bandit"].learning_rate


def test_memory_table_has_one_row_per_run_with_its_floor_and_sizes():
    task = "categorical_dir_1_1_1"
    tables = [prediction_table(task, [0.9, 0.8]), prediction_table(task, [0.01, 0.02])]
    memory = memory_table(tables, [1, 32], MAIN)
    assert list(memory.width) == [1, 1, 32, 32] and list(memory.seed) == [0, 1, 0, 1]
    assert list(memory.memory_dim) == [2, 2, 64, 64] and (memory.bayes_dim == 3).all()
    assert list(memory.main) == [False, False, True, True]
    assert list(memory.final) == [0.9, 0.8, 0.01, 0.02] and (memory.untrained == 3.0).all()
    assert (memory.floor == 2.9).all() and memory.final_se.isna().all()
    assert (memory.floor_name == "best constant predictor").all()
    bandit = memory_table([bandit_table([0.5])], [256], MAIN)
    assert bandit.main.all() and bandit.final_se.iloc[0] == 0.01
    assert bandit.floor_name.iloc[0] == "random policy" and bandit.measure.iloc[0] == "eq. 3"


def test_speed_is_the_first_checkpoint_within_the_factor_of_the_final_value():
    task = "bernoulli_beta_1_1"
    rows = run_rows(
        task, 0, [0, 10, 100, 1000, 2000], [1.0, 0.5, 0.019, 0.011, 0.01], constant_kl_sum=1.0
    )
    speed = speed_table([rows], [8], factor=2.0)
    assert speed.threshold.iloc[0] == pytest.approx(0.02)
    assert speed.updates.iloc[0] == 100 and speed.previous_update.iloc[0] == 10
    assert speed.final_update.iloc[0] == 2000
    assert speed.updates_to_bound.iloc[0] == 100  # claim 1's bound, 0.05 nats
    # A bandit's final eq. 3 below its standard error counts as that error.
    noisy = bandit_table([0.001], se=0.05)
    speed = speed_table([noisy], [8], factor=2.0)
    assert speed.threshold.iloc[0] == pytest.approx(0.1)
    assert speed.updates.iloc[0] == 100  # 1.0 at update 10 is not within 0.1
    # Already within the factor at init: 0 updates, no checkpoint before.
    flat = run_rows(task, 0, [0, 10, 100], [0.03, 0.02, 0.02], constant_kl_sum=1.0)
    speed = speed_table([flat], [1], factor=2.0)
    assert speed.updates.iloc[0] == 0 and np.isnan(speed.previous_update.iloc[0])
    # A run that never reaches claim 1's bound has no update for it.
    stuck = run_rows(task, 0, [0, 10, 100], [3.0, 2.9, 2.8], constant_kl_sum=2.8)
    assert np.isnan(speed_table([stuck], [1], factor=2.0).updates_to_bound.iloc[0])


def test_memory_claim_needs_a_lasting_gap_below_the_bayes_state_and_none_at_the_main_width():
    task = "categorical_dir_1_1_1"  # Bayes state 3: N = 1 (2 numbers) is below it
    below = prediction_table(task, [0.4, 0.3])
    main = prediction_table(task, [0.01, 0.02])
    memory = memory_table([below, main], [1, 32], MAIN)
    [(name, holds, text)] = memory_claim_rows(memory)
    assert name == task and holds is True
    assert "N = 1: final 0.35 [0.3, 0.4]" in text and "main N = 32" in text
    # A seed of the small width that gets within claim 1's bound breaks the claim.
    closed = memory_table([prediction_table(task, [0.4, 0.04]), main], [1, 32], MAIN)
    assert memory_claim_rows(closed)[0][1] is False
    # So does a main width that does not get there.
    far = memory_table([below, prediction_table(task, [0.2, 0.3])], [1, 32], MAIN)
    assert memory_claim_rows(far)[0][1] is False
    # Bernoulli's Bayes state has 2 numbers: no width holds fewer (2N ≥ 2), not tested.
    bernoulli = memory_table(
        [
            prediction_table("bernoulli_beta_1_1", [0.4]),
            prediction_table("bernoulli_beta_1_1", [0.01]),
        ],
        [1, 32],
        MAIN,
    )
    assert memory_claim_rows(bernoulli) == []


def test_memory_claim_on_a_bandit_is_undecided_within_the_noise_of_eq_3():
    # Bayes state 4: N = 1 holds 2 numbers. Bound 0.1; final 0.15 ± 2 × 0.05 reaches it.
    memory = memory_table([bandit_table([0.15], se=0.05), bandit_table([0.0])], [1, 256], MAIN)
    assert memory_claim_rows(memory)[0][1] is None
    memory = memory_table([bandit_table([0.5], se=0.05), bandit_table([0.0])], [1, 256], MAIN)
    assert memory_claim_rows(memory)[0][1] is True


def test_the_memoryless_floor_is_the_best_constant_predictor():
    """Opt's prior predictive at every step has a lower eq. 2 than any other constant."""
    task = PREDICTION_TASKS["bernoulli_beta_1_1"]  # prior predictive P(1) = 0.5
    episodes = evaluation_episodes(task, 2000, 20, seed=7)
    opt, _ = rollout(BayesOptimalPredictor(task.model), episodes.inputs)
    floor = constant_dissimilarity(opt, task.model.family)
    assert np.allclose(opt[:, 0], 0.5) and floor > 0
    for p in (0.3, 0.45, 0.55, 0.7):
        constant = np.full_like(opt, p)
        other = prediction_dissimilarity(opt, constant, task.model.family).sum()
        assert other > floor
