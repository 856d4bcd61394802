"""Configuration validation: the shipped files are valid; bad keys and values are named."""

from __future__ import annotations

import copy
import os

import pytest
import yaml

from metabayes.config import ConfigError, load_config, validate_config
from metabayes.settings import Settings, Variant
from metabayes.tasks import TASKS

from .conftest import REPO


@pytest.fixture
def config() -> dict:
    return load_config([os.path.join(REPO, "config.yaml")])


def test_shipped_config_and_presets_are_valid(config):
    assert config["tasks"] == list(TASKS)
    assert config["seeds"] == list(range(10))
    for preset in os.listdir(os.path.join(REPO, "presets")):
        load_config([os.path.join(REPO, "config.yaml"), os.path.join(REPO, "presets", preset)])


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda c: c.update(sedes=[1]), "config key 'sedes' is not known"),
        (
            lambda c: c["prediction"].update(batchsize=3),
            "config key 'prediction.batchsize' is not known",
        ),
        (
            lambda c: c["prediction"].update(batch_size="64"),
            "config key 'prediction.batch_size': '64' is not of type 'integer'",
        ),
        (
            lambda c: c["prediction"].update(learning_rate=-1),
            "config key 'prediction.learning_rate': -1",
        ),
        (
            lambda c: c["prediction"].update(lr_schedule="linear"),
            "config key 'prediction.lr_schedule': 'linear' is not one of",
        ),
        (
            lambda c: c["tasks"].append("coin_flip"),
            "config key 'tasks.14': 'coin_flip' is not one of",
        ),
        (
            lambda c: c["bandit"].update(entropy_cost=-0.1),
            "config key 'bandit.entropy_cost': -0.1 is less than the minimum of 0",
        ),
        (lambda c: c["bandit"].pop("value_cost"), "config key 'bandit.value_cost' is missing"),
        (lambda c: c.update(seeds=[0, 0]), "config key 'seeds'"),
        (lambda c: c["evaluation"].pop("seed"), "config key 'evaluation.seed' is missing"),
        (
            lambda c: c["convergence"].update(n_episodes=0),
            "config key 'convergence.n_episodes': 0 is less than the minimum of 1",
        ),
        (
            lambda c: c["prediction"].update(init="xavier"),
            "config key 'prediction.init': 'xavier' is not one of ['torch', 'haiku']",
        ),
        (
            lambda c: c["bandit"].pop("init"),
            "config key 'bandit.init' is missing",
        ),
        (
            lambda c: c["structure"].update(opt_coordinates="natural"),
            "config key 'structure.opt_coordinates': 'natural' is not one of",
        ),
        (
            lambda c: c["structure"].update(rnn_components="3"),
            "config key 'structure.rnn_components': '3' does not match",
        ),
        (
            lambda c: c["structure"].update(rnn_components=4),
            "config key 'structure.rnn_components': 4 is not of type 'string'",
        ),
        (
            lambda c: c["structure"].update(phi_target="full"),
            "config key 'structure.phi_target': 'full' is not one of",
        ),
        (
            lambda c: c["structure"]["variants"].append({"phi_target": "hidden"}),
            "config key 'structure.variants.5.phi_target': 'hidden' is not one of",
        ),
        (
            lambda c: c["structure"]["variants"].append({"components": "2n"}),
            "config key 'structure.variants.5.components' is not known",
        ),
        (
            lambda c: c["structure"].update(variants={"opt_coordinates": "posterior"}),
            "config key 'structure.variants':",
        ),
        (
            lambda c: c["convergence"].update(stress=1),
            "config key 'convergence.stress' is not known",
        ),
        # The width ablation (App. D.3, D.7).
        (
            lambda c: c["ablation"]["widths"].update(prediction=[0, 8]),
            "config key 'ablation.widths.prediction.0': 0 is less than the minimum of 1",
        ),
        (
            lambda c: c["ablation"]["widths"].update(bandit=[8, 2.5]),
            "config key 'ablation.widths.bandit.1': 2.5 is not of type 'integer'",
        ),
        (
            lambda c: c["ablation"]["widths"].update(prediction=[4, 4]),
            "config key 'ablation.widths.prediction': [4, 4] has non-unique elements",
        ),
        (
            lambda c: c["ablation"]["widths"].update(prediction=[1, 100000]),
            "config key 'ablation.widths.prediction.1': 100000 is greater than the maximum",
        ),
        (
            lambda c: c["ablation"]["widths"].update(prediction=8),
            "config key 'ablation.widths.prediction': 8 is not of type 'array'",
        ),
        (
            lambda c: c["ablation"]["widths"].update(lstm=[8]),
            "config key 'ablation.widths.lstm' is not known",
        ),
        (
            lambda c: c["ablation"]["widths"].pop("bandit"),
            "config key 'ablation.widths.bandit' is missing",
        ),
        (
            lambda c: c["ablation"].update(tasks=["bernoulli"]),
            "config key 'ablation.tasks.0': 'bernoulli' is not one of",
        ),
        (lambda c: c["ablation"].update(seeds=[]), "config key 'ablation.seeds': [] should be"),
        (
            lambda c: c["ablation"].update(speed_factor=1),
            "config key 'ablation.speed_factor': 1 is less than or equal to the minimum of 1",
        ),
        (lambda c: c.pop("ablation"), "config key 'ablation' is missing"),
    ],
)
def test_bad_keys_and_values_are_rejected_by_name(config, edit, message):
    bad = copy.deepcopy(config)
    edit(bad)
    with pytest.raises(ConfigError) as error:
        validate_config(bad)
    assert str(error.value).startswith(message)


def test_presets_override_key_by_key(tmp_path):
    preset = tmp_path / "p.yaml"
    preset.write_text(yaml.safe_dump({"prediction": {"n_updates": 7}}))
    config = load_config([os.path.join(REPO, "config.yaml"), preset])
    assert config["prediction"]["n_updates"] == 7
    assert config["prediction"]["hidden_size"] == 32


def test_structure_variants_start_with_the_main_analysis_without_repeats(config):
    config["structure"]["variants"] = [{}, {"phi_target": "state"}, {"phi_target": "state"}]
    main = Variant("statistics", "n", "projection")
    variants = Settings.from_config(config).variants
    assert variants == (main, Variant("statistics", "n", "state"))
