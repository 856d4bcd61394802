"""Convergence analysis (paper §3.3, Fig. 2) and the generalisation examples (Fig. 1)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.linalg import orthogonal_procrustes

from metabayes.agents import BayesOptimalPredictor, rollout
from metabayes.analysis.convergence import (
    analyse,
    canonical_pose,
    check_same_episodes,
    classical_mds,
    convergence_table,
    embed,
    js_distances,
    regret_distances,
    smacof,
)
from metabayes.analysis.generalisation import (
    bandit_examples,
    example_length,
    extend_bandit,
    extend_prediction,
    prediction_examples,
)
from metabayes.bandits.agents import GittinsAgent
from metabayes.convergence_files import read_convergence, write_convergence
from metabayes.plotting import convergence as convergence_figures
from metabayes.plotting import generalisation as generalisation_figures
from metabayes.plotting.figures import save
from metabayes.simulate import evaluation_episodes, evaluation_uniforms
from metabayes.tasks import BANDIT_TASKS, PREDICTION_TASKS
from metabayes.traces import AgentTrace, Trace
from metabayes.training.bandit import build_bandit_agent
from metabayes.training.prediction import build_predictor

BERNOULLI = PREDICTION_TASKS["bernoulli_beta_1_1"]
BANDIT = BANDIT_TASKS["bernoulli_bandit_beta_1_1"]
UPDATES = (0, 10, 100, 1000)
LABELS = ("init", "update_10", "update_100", "final")


# --------------------------------------------------------------------------------------------
# Pairwise distances and MDS
# --------------------------------------------------------------------------------------------


def test_mds_recovers_a_planar_configuration_up_to_rotation_and_reflection():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(30, 2)) * [3.0, 1.0]
    distances = np.linalg.norm(points[:, None] - points[None], axis=-1)
    fitted = embed(distances, max_iter=3000)
    assert fitted.stress < 1e-4
    centred = [x - x.mean(axis=0) for x in (fitted.coordinates, points)]
    rotation, _ = orthogonal_procrustes(*centred)
    np.testing.assert_allclose(centred[0] @ rotation, centred[1], atol=1e-3)


def test_smacof_gives_scikit_learns_embedding_and_never_raises_the_stress():
    """The SMACOF written out is scikit-learn 1.9.1's (``MDS(metric_mds=True,
    metric="precomputed", n_init=1, eps=1e-9, normalized_stress=True).fit_transform(d,
    init=classical_mds(d))``, whose output on these distances is below, equal bit for bit on
    the machine that recorded it), and each Guttman transform lowers the raw stress."""
    distances = np.array(
        [
            [0.0, 2.648, 1.708, 2.283, 2.372, 2.333],
            [2.648, 0.0, 0.801, 0.871, 4.022, 1.871],
            [1.708, 0.801, 0.0, 0.859, 2.693, 2.721],
            [2.283, 0.871, 0.859, 0.0, 2.835, 2.389],
            [2.372, 4.022, 2.693, 2.835, 0.0, 1.965],
            [2.333, 1.871, 2.721, 2.389, 1.965, 0.0],
        ]
    )
    scikit_learn = np.array(
        [
            [0.6238972191886982, -1.3064581808192397],
            [-1.4909102522093138, 0.36548180539379826],
            [-0.8690538723423931, -0.6165996886029048],
            [-0.9700815416969579, 0.02040428318109655],
            [2.1148335232722824, 0.20137570790326256],
            [0.5913149237876845, 1.3357960729439873],
        ]
    )
    start = classical_mds(distances)
    assert not start.flags.c_contiguous  # columns of eigenvectors: the copy must be C-ordered
    coordinates, stress = smacof(distances, start, max_iter=3000)
    np.testing.assert_allclose(coordinates, scikit_learn, rtol=1e-12, atol=1e-14)
    assert stress == pytest.approx(0.12467106877907606, rel=1e-12)
    raw = []
    for max_iter in range(1, 30):
        x, _ = smacof(distances, start, max_iter)
        raw.append(0.5 * np.sum((np.linalg.norm(x[:, None] - x[None], axis=-1) - distances) ** 2))
    assert np.all(np.diff(raw) <= 1e-12) and raw[-1] < raw[0]


def test_canonical_pose_puts_opt_at_the_origin_and_the_start_on_the_positive_x_axis():
    rng = np.random.default_rng(1)
    coordinates = rng.normal(size=(7, 2))
    pose = canonical_pose(coordinates, origin=6, start=np.array([0, 3]))
    np.testing.assert_allclose(pose[6], 0.0, atol=1e-12)
    start = pose[[0, 3]].mean(axis=0)
    assert start[0] > 0 and abs(start[1]) < 1e-12
    assert pose[[1, 2, 4, 5], 1].mean() >= 0
    # Rigid: every distance is kept.
    before = np.linalg.norm(coordinates[:, None] - coordinates[None], axis=-1)
    after = np.linalg.norm(pose[:, None] - pose[None], axis=-1)
    np.testing.assert_allclose(after, before, atol=1e-12)


def test_js_distances_are_a_symmetric_matrix_of_averaged_divergences():
    rng = np.random.default_rng(2)
    outputs = rng.uniform(0.05, 0.95, (4, 30, 1))
    distances = js_distances(BERNOULLI.model.family, outputs)
    np.testing.assert_allclose(distances, distances.T)
    assert np.all(np.diag(distances) == 0) and np.all(distances[~np.eye(4, dtype=bool)] > 0)
    expected = BERNOULLI.model.family.js(outputs[1], outputs[3]).mean()
    assert distances[1, 3] == pytest.approx(expected, rel=1e-12)


def test_regret_distances_by_hand():
    regrets = np.array([[0.0, 1.0, 2.0], [1.0, 1.0, 0.0], [0.0, 1.0, 2.0]])
    distances = regret_distances(regrets)
    assert distances[0, 1] == pytest.approx((1 + 0 + 2) / 3)
    assert distances[0, 2] == 0 and np.allclose(distances, distances.T)


# --------------------------------------------------------------------------------------------
# Toy runs that converge by construction
# --------------------------------------------------------------------------------------------


def _prediction_traces(n_seeds=3, K=40, T=6):
    """Runs whose predictions move from a seed-specific offset to Opt's as training goes on."""
    episodes = BERNOULLI.sample(np.random.default_rng(0), K, T)
    opt_outputs, opt_states = rollout(BayesOptimalPredictor(BERNOULLI.model), episodes.inputs)
    opt = AgentTrace(opt_outputs, opt_states)
    traces = []
    for seed in range(n_seeds):
        offset = np.random.default_rng(seed + 10).normal(0, 2, (K, T, 1))
        rnn = {}
        for label, update, weight in zip(LABELS, UPDATES, (1.0, 0.5, 0.1, 0.0), strict=True):
            logit = np.log(opt_outputs / (1 - opt_outputs)) + weight * offset
            rnn[label] = AgentTrace(1 / (1 + np.exp(-logit)), None, update=update)
        traces.append(
            Trace(
                task=BERNOULLI.name,
                seed=seed,
                theta=episodes.theta,
                opt=opt,
                rnn=rnn,
                observations=episodes.observations,
                inputs=episodes.inputs,
            )
        )
    return traces


def test_distances_to_opt_shrink_on_runs_that_converge_by_construction():
    result = analyse(_prediction_traces(), BERNOULLI.model.family, n_episodes=25, max_iter=1000)
    assert result.n_episodes == 25 and result.distances.shape == (13, 13)
    table = convergence_table(result, {"config_hash": "h", "code_version": "v"})
    assert list(table.checkpoint[:4]) == list(LABELS) and len(table) == 12
    for seed, run in table.groupby("seed"):
        assert np.all(np.diff(run.distance_to_opt) < 0), seed
        assert run.distance_to_opt.iloc[-1] == pytest.approx(0.0, abs=1e-15)
        radius = np.hypot(run.mds_x, run.mds_y)
        assert radius.iloc[-1] < 0.05 * radius.iloc[0]
    # The untrained runs' centroid lies on the positive x-axis (canonical pose).
    init = table[table.checkpoint == "init"]
    assert init.mds_x.mean() > 0 and abs(init.mds_y.mean()) < 1e-12
    # Within-episode dissimilarity (eq. 2 per step) and the training curves fall too.
    assert result.within.shape == (3, 4, 6)
    assert np.all(np.abs(result.within[:, -1]) < 1e-12) and np.all(result.within[:, 0].sum(1) > 0.1)
    assert np.all(np.diff(result.performance, axis=1) < 0)
    np.testing.assert_allclose(result.performance[:, -1], result.opt_performance)


def test_bandit_distances_are_differences_of_cumulative_regret():
    K, T = 30, 5
    theta = np.column_stack([np.full(K, 0.2), np.full(K, 0.7)])  # arm 1 is best
    rewards = np.zeros((K, T, 2))
    opt_actions = np.ones((K, T), dtype=np.int64)

    def agent(wrong_steps, update=None):
        actions = opt_actions.copy()
        actions[:, :wrong_steps] = 0  # pull the worse arm for the first steps
        outputs = np.stack([1.0 - actions, actions * 1.0], axis=-1)
        return AgentTrace(outputs, None, actions=actions, rewards=rewards[..., 0], update=update)

    traces = [
        Trace(
            task=BANDIT.name,
            seed=seed,
            theta=theta,
            opt=agent(0),
            rnn={
                label: agent(wrong, update)
                for label, update, wrong in zip(LABELS, UPDATES, (T, 3, 1, 0), strict=True)
            },
            reward_table=rewards,
        )
        for seed in range(2)
    ]
    result = analyse(traces, None, n_episodes=100, max_iter=500)
    assert result.n_episodes == K
    distance = result.distance_to_opt()[:4]
    np.testing.assert_allclose(distance, 0.5 * np.array([T, 3, 1, 0]))
    np.testing.assert_allclose(result.performance[0], 0.5 * np.array([T, 3, 1, 0]))
    # Per-step expected-reward gap: 0.5 while the worse arm is pulled, then 0.
    np.testing.assert_allclose(result.within[0, 1], [0.5, 0.5, 0.5, 0, 0])


def test_runs_on_other_episodes_are_refused():
    traces = _prediction_traces(n_seeds=2)
    traces[1].theta = traces[1].theta + 0.01
    with pytest.raises(ValueError, match="seed 1 has other evaluation episodes"):
        check_same_episodes(traces)


def test_convergence_file_round_trips_and_figures_are_written(tmp_path):
    result = analyse(_prediction_traces(), BERNOULLI.model.family, n_episodes=25, max_iter=500)
    write_convergence(tmp_path / "c.h5", result, {"code_version": "v", "settings": {"a": 1}})
    loaded = read_convergence(tmp_path / "c.h5")
    c = loaded.convergence
    assert c.points.labels == result.points.labels
    np.testing.assert_array_equal(c.points.seeds, result.points.seeds)
    np.testing.assert_array_equal(c.distances, result.distances)
    np.testing.assert_array_equal(c.embedding.coordinates, result.embedding.coordinates)
    np.testing.assert_array_equal(c.within, result.within)
    np.testing.assert_array_equal(c.performance, result.performance)
    assert c.opt_performance == result.opt_performance and c.seeds == [0, 1, 2]
    assert loaded.attrs["distance"] == "jensen_shannon" and loaded.attrs["code_version"] == "v"
    for files, name in (([loaded], "one.png"), ([loaded, loaded], "two.png")):
        save(convergence_figures.plot_convergence(files), tmp_path / name)
        assert (tmp_path / name).stat().st_size > 20_000


# --------------------------------------------------------------------------------------------
# Figure 1: episodes past the training horizon
# --------------------------------------------------------------------------------------------


def test_extended_episodes_keep_the_evaluation_steps():
    T, K, seed = 20, 12, 2020
    chosen = np.array([3, 7, 11])
    assert example_length(T) == 30
    episodes = evaluation_episodes(BERNOULLI, K, T, seed)
    longer = extend_prediction(BERNOULLI, episodes, chosen, 30, seed)
    np.testing.assert_array_equal(longer.observations[:, :T], episodes.observations[chosen])
    np.testing.assert_array_equal(longer.inputs[:, :T], episodes.inputs[chosen])
    assert longer.observations.shape == (3, 30)
    bandit = evaluation_episodes(BANDIT, K, T, seed)
    uniforms = evaluation_uniforms(K, T, seed)
    tables, more_uniforms = extend_bandit(BANDIT, bandit, uniforms, chosen, 30, seed)
    np.testing.assert_array_equal(tables.rewards[:, :T], bandit.rewards[chosen])
    np.testing.assert_array_equal(more_uniforms[:, :T], uniforms[chosen])
    assert tables.rewards.shape == (3, 30, 2) and more_uniforms.shape == (3, 30)


def test_examples_tables_and_figure_1(tmp_path):
    T, K, seed = 20, 12, 2020
    chosen = np.array([0, 5, 9])
    episodes = extend_prediction(
        BERNOULLI, evaluation_episodes(BERNOULLI, K, T, seed), chosen, 30, seed
    )
    prediction = prediction_examples(BERNOULLI, build_predictor(BERNOULLI, 8), episodes, chosen)
    assert len(prediction) == 2 * 3 * 30
    opt = prediction[prediction.agent == "opt"]
    # Opt's prediction at step t is (1 + ones so far) / (2 + t − 1) under Beta(1, 1).
    ones = episodes.observations.cumsum(axis=1) - episodes.observations
    expected = (1 + ones) / (1 + np.arange(1, 31))
    np.testing.assert_allclose(opt.p.to_numpy(), expected.reshape(-1))
    assert set(prediction.theta_p.round(12)) == set(episodes.theta[:, 0].round(12))

    tables, uniforms = extend_bandit(
        BANDIT,
        evaluation_episodes(BANDIT, K, T, seed),
        evaluation_uniforms(K, T, seed),
        chosen,
        30,
        seed,
    )
    net = build_bandit_agent(BANDIT, 8)
    bandit = bandit_examples(BANDIT, net, GittinsAgent(BANDIT), tables, uniforms, chosen)
    assert len(bandit) == 2 * 3 * 30
    for _, rows in bandit.groupby(["agent", "episode"]):
        regret = rows.regret.to_numpy()
        assert regret[0] >= 0 and np.all(np.diff(regret) >= -1e-12)
    table = pd.concat([prediction, bandit], ignore_index=True)
    table["trained_steps"] = T
    save(generalisation_figures.plot_fig1(table), tmp_path / "fig1.png")
    assert (tmp_path / "fig1.png").stat().st_size > 20_000


def test_mds_of_distances_that_are_not_euclidean_is_finite():
    # Distances of a real tiny run (nearly collinear; the double-centred matrix has a
    # negative second eigenvalue, where scikit-learn's classical start returns NaN).
    distances = np.array(
        [
            [0.0, 0.0001, 0.0026, 0.0264, 0.1332],
            [0.0001, 0.0, 0.0016, 0.0232, 0.1284],
            [0.0026, 0.0016, 0.0, 0.0139, 0.1137],
            [0.0264, 0.0232, 0.0139, 0.0, 0.072],
            [0.1332, 0.1284, 0.1137, 0.072, 0.0],
        ]
    )
    fitted = embed(distances, max_iter=1000)
    assert np.all(np.isfinite(fitted.coordinates)) and 0 <= fitted.stress < 0.5
    again = embed(distances, max_iter=1000)
    np.testing.assert_array_equal(again.coordinates, fitted.coordinates)
