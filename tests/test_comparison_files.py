"""The comparison file of a run's structural comparison (comparison_files.py), and Figure 3
drawn from it."""

import json
from dataclasses import replace

import numpy as np
import pytest

from metabayes.analysis.coordinates import Coordinates
from metabayes.analysis.structure import split_episodes
from metabayes.analysis.structure_runs import (
    Variant,
    compare_run,
    kl_dissimilarity,
    prediction_machines,
)
from metabayes.comparison_files import read_comparisons, write_comparisons
from metabayes.io import file_digest
from metabayes.plotting import figures

from .conftest import EMBEDDING
from .test_structure_runs import prediction_run


@pytest.fixture(scope="module")
def run():
    """A prediction run's machines at init and final, compared under the main variant."""
    task, trace, nets = prediction_run()
    machines = {label: prediction_machines(trace, label, nets[label], task) for label in nets}
    split = split_episodes(60, (0.6, 0.2, 0.2), seed=0)
    settings = replace(EMBEDDING, hidden_size=16, max_epochs=3)
    (comparisons,) = compare_run(
        3,
        machines,
        kl_dissimilarity(task.model.family),
        split,
        settings,
        [Variant("statistics", "n", "projection")],
        Coordinates("statistics", (task.model,)),
    )
    return task, machines, split, comparisons


def test_comparison_file_round_trips(tmp_path, run):
    task, machines, split, comparisons = run
    path = tmp_path / "c.h5"
    updates = {"init": 0, "final": 1}
    write_comparisons(path, comparisons, machines, updates, split, {"task": task.name, "seed": 3})
    back = read_comparisons(path)
    assert (back.task, back.seed) == (task.name, 3)
    np.testing.assert_array_equal(back.split.test, split.test)
    for label, comparison in comparisons.items():
        stored = back.checkpoints[label]
        assert stored.update == updates[label]
        np.testing.assert_allclose(stored.projected["rnn"], comparison.projected["rnn"], rtol=1e-6)
        np.testing.assert_array_equal(stored.outputs["opt"], machines[label][0].outputs)
        for direction, simulation in comparison.simulations.items():
            assert stored.embeddings[direction].d_s == simulation.d_s
            np.testing.assert_array_equal(stored.embeddings[direction].outputs, simulation.outputs)
    figures.save(figures.plot_fig3([back, back]), tmp_path / "fig3.png")
    assert (tmp_path / "fig3.png").stat().st_size > 10_000


def test_comparison_file_bytes_do_not_depend_on_the_order_of_settings_keys(tmp_path, run):
    """The settings come from a merged config whose key order follows the presets."""
    task, machines, split, comparisons = run
    settings = {"split": [0.6, 0.2, 0.2], "hidden_size": 16, "patience": 5}
    paths = [tmp_path / "a.h5", tmp_path / "b.h5"]
    for path, order in zip(paths, (settings, dict(reversed(settings.items()))), strict=True):
        attrs = {"task": task.name, "seed": 3, "settings": order}
        write_comparisons(path, comparisons, machines, {"init": 0, "final": 1}, split, attrs)
    assert file_digest(paths[0]) == file_digest(paths[1])
    assert read_comparisons(paths[0]).attrs["settings"] == json.dumps(settings, sort_keys=True)


def test_fig3_colour_legend_names_what_the_colours_are():
    """Three Student-t parameters are not probabilities: their legend must not say RGB."""
    from metabayes.plotting.figures import _colour_legend

    probabilities = np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])
    student_t = np.array([[0.1, 2.5, 3.0], [-0.4, 1.2, 5.0]])
    assert "(red, green, blue)" in _colour_legend(probabilities, {})
    assert "first predictive parameter" in _colour_legend(student_t, {})
    assert "P(arm 1)" in _colour_legend(np.array([[0.3, 0.7]]), {"kind": "bandit"})
