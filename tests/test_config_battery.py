"""A battery of malformed config files, each refused before any job, naming the key or file.

Every file is an override of ``config.yaml``, as a user passes with ``--configfile``. Both
paths read it: ``python -m metabayes check-config config.yaml FILE`` and the workflow (Snakemake
loads the files with its own YAML reader, merges them and the Snakefile validates the result).
The workflow path runs in-process here with Snakemake's own loader and merge; a sample runs
through the ``snakemake`` command, and the whole battery does with ``-m slow``.
"""

from __future__ import annotations

import os

import pytest
from snakemake.common.configfile import load_configfile
from snakemake.utils import update_config
from snakemake_interface_common.exceptions import WorkflowError

from metabayes import cli
from metabayes.config import ConfigError, validate_config

from .conftest import REPO, snakemake

CONFIG = os.path.join(REPO, "config.yaml")

# (override file, what the message says); "{file}" stands for the file's path.
BATTERY = [
    # keys
    ("sedes: [1]\n", "config key 'sedes' is not known"),
    ("prediction:\n  n_update: 10\n", "config key 'prediction.n_update' is not known"),
    ("structure:\n  hidden_size:\n    predict: 3\n", "'structure.hidden_size.predict' is not"),
    ("convergence:\n  stress: 1\n", "config key 'convergence.stress' is not known"),
    ("evaluation: 500\n", "config key 'evaluation': 500 is not of type 'object'"),
    ("prediction: null\n", "config key 'prediction': None is not of type 'object'"),
    # types: integers are integers
    ("prediction:\n  n_updates: 20.0\n", "'prediction.n_updates': 20.0 is not of type 'integer'"),
    ("bandit:\n  batch_size: '64'\n", "'bandit.batch_size': '64' is not of type 'integer'"),
    ("episode_length: true\n", "config key 'episode_length': True is not of type 'integer'"),
    ("seeds: [0, 1.5]\n", "config key 'seeds.1': 1.5 is not of type 'integer'"),
    ("seeds: 3\n", "config key 'seeds': 3 is not of type 'array'"),
    ("tasks: bernoulli_beta_1_1\n", "config key 'tasks': 'bernoulli_beta_1_1' is not of type"),
    ("evaluation:\n  seed: 1e23\n", "config key 'evaluation.seed': '1e23' is not of type"),
    ("prediction:\n  threads: 1.5\n", "'prediction.threads': 1.5 is not of type 'integer'"),
    ("structure:\n  rnn_components: 3\n", "'structure.rnn_components': 3 is not of type 'string'"),
    # floats are finite
    ("prediction:\n  learning_rate: .nan\n", "'prediction.learning_rate': nan is not a finite"),
    ("bandit:\n  value_cost: .nan\n", "config key 'bandit.value_cost': nan is not a finite"),
    ("bandit:\n  entropy_cost: .inf\n", "config key 'bandit.entropy_cost': inf is not a finite"),
    ("bandit:\n  grad_clip: -.inf\n", "config key 'bandit.grad_clip': -inf is not a finite"),
    ("structure:\n  split: [.nan, .nan, .nan]\n", "'structure.split.0': nan is not a finite"),
    ("structure:\n  learning_rate: .inf\n", "'structure.learning_rate': inf is not a finite"),
    # and in range
    ("prediction:\n  learning_rate: 1.0e+300\n", "'prediction.learning_rate': 1e+300 is greater"),
    ("prediction:\n  learning_rate: 0\n", "'prediction.learning_rate': 0 is less than or equal"),
    ("bandit:\n  learning_rate: -0.001\n", "'bandit.learning_rate': -0.001 is less than or"),
    ("prediction:\n  hidden_size: 0\n", "'prediction.hidden_size': 0 is less than the minimum"),
    ("bandit:\n  n_updates: -5\n", "'bandit.n_updates': -5 is less than the minimum of 1"),
    ("episode_length: 1\n", "config key 'episode_length': 1 is less than the minimum of 2"),
    ("episode_length: 0\n", "config key 'episode_length': 0 is less than the minimum of 2"),
    ("seeds: [-1]\n", "config key 'seeds.0': -1 is less than the minimum of 0"),
    ("seeds: [100000000000000000000000]\n", "config key 'seeds.0': 1000000000000"),
    ("evaluation:\n  seed: 100000000000000000000000\n", "'evaluation.seed': 1000000000000"),
    ("seeds: []\n", "config key 'seeds': [] should be non-empty"),
    ("tasks: []\n", "config key 'tasks': [] should be non-empty"),
    ("tasks: [coin_flip]\n", "config key 'tasks.0': 'coin_flip' is not one of"),
    ("seeds: [0, 0]\n", "config key 'seeds': [0, 0] has non-unique elements"),
    ("prediction:\n  n_checkpoints: 1\n", "'prediction.n_checkpoints': 1 is less than the min"),
    ("structure:\n  max_epochs: 0\n", "'structure.max_epochs': 0 is less than the minimum of 1"),
    ("structure:\n  threads: 0\n", "config key 'structure.threads': 0 is less than the minimum"),
    ("convergence:\n  max_iter: 0\n", "'convergence.max_iter': 0 is less than the minimum of 1"),
    ("structure:\n  split: [0.5, 0.5]\n", "config key 'structure.split': [0.5, 0.5] is too short"),
    ("structure:\n  split: [1.0, 0.0, 0.0]\n", "'structure.split.1': 0.0 is less than or equal"),
    # choices
    ("prediction:\n  lr_schedule: linear\n", "'prediction.lr_schedule': 'linear' is not one of"),
    ("bandit:\n  init: xavier\n", "config key 'bandit.init': 'xavier' is not one of"),
    ("bandit:\n  precision: float16\n", "'bandit.precision': 'float16' is not one of"),
    ("prediction:\n  precision: bfloat16\n", "config key 'prediction.precision' is not known"),
    ("structure:\n  rnn_components: 0n\n", "'structure.rnn_components': '0n' does not match"),
    ("structure:\n  variants: [{phi_target: hidden}]\n", "'structure.variants.0.phi_target'"),
    # keys that must fit together
    ("structure:\n  split: [0.5, 0.5, 0.5]\n", "'structure.split': fractions [0.5, 0.5, 0.5] must"),
    ("evaluation:\n  n_episodes: 3\n", "config key 'evaluation.n_episodes': 3 episodes split"),
    # files that are not a mapping of keys
    ("prediction:\n  n_updates: [1, 2\n", "{file}, line 3, column 1: not valid YAML"),
    ("prediction:\n\tn_updates: 5\n", "{file}, line 2, column 1: not valid YAML"),
    ("", "{file}: the file is empty"),
    ("- a\n- b\n", "{file}: expected a mapping of config keys, got list"),
    ("just a string\n", "{file}: expected a mapping of config keys, got str"),
]

YAML_LEVEL = {index for index, (_, message) in enumerate(BATTERY) if "{file}" in message}
"""Files that Snakemake's own reader refuses before the workflow runs, with its own message."""


def _write(tmp_path, index: int):
    path = tmp_path / f"bad{index}.yaml"
    path.write_text(BATTERY[index][0])
    return path, BATTERY[index][1].format(file=path)


def test_the_battery_is_large_and_its_files_distinct():
    assert len(BATTERY) >= 40
    assert len({text for text, _ in BATTERY}) == len(BATTERY)


@pytest.mark.parametrize("index", range(len(BATTERY)))
def test_check_config_refuses_naming_the_key_or_file(tmp_path, capsys, index):
    path, message = _write(tmp_path, index)
    assert cli.main(["check-config", CONFIG, str(path)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and message in error


def _as_snakemake_reads(path) -> dict:
    """config.yaml (the Snakefile's ``configfile:``) updated by ``--configfile path``."""
    config = load_configfile(CONFIG)
    update_config(config, load_configfile(str(path)))
    return config


@pytest.mark.parametrize("index", range(len(BATTERY)))
def test_the_workflow_refuses_the_same_files_with_the_same_message(tmp_path, index):
    path, message = _write(tmp_path, index)
    if index in YAML_LEVEL:
        with pytest.raises(WorkflowError):
            validate_config(_as_snakemake_reads(path))
    else:
        with pytest.raises(ConfigError) as error:
            validate_config(_as_snakemake_reads(path))
        assert message in str(error.value)


SAMPLE = [
    index
    for index, (text, _) in enumerate(BATTERY)
    if text
    in (
        "prediction:\n  n_updates: 20.0\n",
        "prediction:\n  learning_rate: .nan\n",
        "episode_length: 1\n",
        "evaluation:\n  n_episodes: 3\n",
        "prediction:\n  n_updates: [1, 2\n",
    )
]
"""Integral float, NaN, T = 1, too few episodes for the split, a YAML syntax error."""


def _through_snakemake(tmp_path, index):
    path, message = _write(tmp_path, index)
    result = snakemake("-n", "--configfile", str(path), workdir=tmp_path, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert not (tmp_path / "results").exists()
    if index in YAML_LEVEL:
        assert "Config file is not valid JSON or YAML" in output or "keys at top level" in output
    else:
        assert message in output


@pytest.mark.parametrize("index", SAMPLE)
def test_snakemake_refuses_a_sample_before_any_job(tmp_path, index):
    _through_snakemake(tmp_path, index)


@pytest.mark.slow
@pytest.mark.parametrize("index", sorted(set(range(len(BATTERY))) - set(SAMPLE)))
def test_snakemake_refuses_every_file_before_any_job(tmp_path, index):
    _through_snakemake(tmp_path, index)
