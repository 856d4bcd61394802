"""The comparison file of a run's structural comparison (comparison_files.py), and Figure 3
drawn from it."""

from dataclasses import replace

import numpy as np

from metabayes.analysis.coordinates import Coordinates
from metabayes.analysis.structure import split_episodes
from metabayes.analysis.structure_runs import (
    Variant,
    compare_run,
    kl_dissimilarity,
    prediction_machines,
)
from metabayes.comparison_files import read_comparisons, write_comparisons
from metabayes.plotting import figures

from .conftest import EMBEDDING
from .test_structure_runs import prediction_run


def test_comparison_file_round_trips(tmp_path):
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
