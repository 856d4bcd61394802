"""The registry of task kinds (kinds.py): every task has one, and the steps dispatch through it."""

import inspect

import pytest

from metabayes import cli, pipeline
from metabayes.bandits.arms import N_ARMS
from metabayes.kinds import KINDS, kind_of
from metabayes.tasks import TASKS


def test_every_task_has_exactly_one_kind():
    assert set(KINDS) == {task.kind for task in TASKS.values()}
    for name, task in TASKS.items():
        assert [kind.name for kind in KINDS.values() if name in kind.tasks] == [task.kind]
        assert kind_of(name).tasks[name] is task


def test_an_unknown_task_is_refused():
    with pytest.raises(KeyError, match="no_such_task"):
        kind_of("no_such_task")


@pytest.mark.parametrize("name", ["categorical_dir_1_1_1", "gaussian_bandit_sigma_1"])
def test_each_kind_builds_its_network(name):
    task, kind = TASKS[name], kind_of(name)
    net = kind.network_builder(task, 8)()
    assert net.hidden_size == 8 and net.encoder.in_features == task.input_dim
    outputs = task.model.family.n_params if kind.name == "prediction" else N_ARMS
    assert net.readout.out_features == outputs
    assert (net.value is not None) == (kind.name == "bandit")
    assert kind.uses_tables == (kind.name == "bandit")


@pytest.mark.parametrize("module", [pipeline, cli])
def test_steps_dispatch_through_the_registry_not_by_branches(module):
    """A third kind of task is a new entry of the registry: the workflow steps and the CLI
    neither name a kind's task table nor test which kind a task is."""
    source = inspect.getsource(module)
    for phrase in ("BANDIT_TASKS", "PREDICTION_TASKS", "task_kind", '== "bandit"', '"prediction"'):
        assert phrase not in source, phrase
