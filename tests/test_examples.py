"""The rule that chooses the episodes of Figures 1 and 3 (one rule for every run)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from metabayes.analysis.generalisation import example_episodes


def bandit_trace(first_rnn, first_opt, theta):
    """A bandit trace's fields that the rule reads: per episode, the final meta-learner's and
    Opt's actions over T = 4 steps (a first arm, then the other from step 2 unless None)."""

    def actions(first, switch):
        return [first, first] + ([1 - first] * 2 if switch else [first] * 2)

    rnn = np.array([actions(a, s) for a, s in first_rnn])
    opt = np.array([actions(a, s) for a, s in first_opt])
    return SimpleNamespace(
        task="bernoulli_bandit_beta_1_1",
        theta=np.array(theta),
        opt=SimpleNamespace(actions=opt),
        rnn={"final": SimpleNamespace(actions=rnn)},
    )


def test_bandit_episodes_show_both_agents_leaving_the_first_arm_for_the_better_one():
    trace = bandit_trace(
        first_rnn=[(0, True), (0, True), (0, False), (1, True), (0, True), (0, True)],
        first_opt=[(1, True), (0, True), (0, True), (1, True), (1, False), (0, True)],
        theta=[[0.2, 0.8], [0.9, 0.1], [0.1, 0.9], [0.3, 0.7], [0.2, 0.6], [0.1, 0.5]],
    )
    held_out = np.arange(6)
    # 0: qualifies. 1: the better arm is the first pull. 2: the meta-learner never switches.
    # 3: first pull is the better arm. 4: Opt never switches. 5: qualifies.
    np.testing.assert_array_equal(example_episodes(trace, held_out, 2), [0, 5])
    # Fewer qualify than asked: the next held-out episodes fill in, in order.
    np.testing.assert_array_equal(example_episodes(trace, held_out, 4), [0, 5, 1, 2])
    # Only held-out episodes are candidates, in the split's order.
    np.testing.assert_array_equal(example_episodes(trace, np.array([5, 3, 0]), 1), [5])


def test_prediction_episodes_are_the_first_held_out():
    trace = SimpleNamespace(task="categorical_dir_1_1_1")
    np.testing.assert_array_equal(example_episodes(trace, np.array([7, 2, 9, 4]), 3), [7, 2, 9])
