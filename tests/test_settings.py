"""Typed settings built from the validated config (settings.py): complete, default-free."""

import dataclasses
import os

import pytest

from metabayes.config import load_config
from metabayes.kinds import KINDS
from metabayes.settings import (
    BanditSettings,
    ConvergenceSettings,
    EmbeddingSettings,
    EvaluationSettings,
    PredictionSettings,
    Settings,
    StructureSettings,
    Variant,
)

from .conftest import REPO

CONFIG = os.path.join(REPO, "config.yaml")


@pytest.fixture
def config():
    return load_config([CONFIG])


def test_every_config_key_reaches_a_typed_setting(config):
    """A key added to the config but not to its dataclass would be dropped silently."""
    settings = Settings.from_config(config)
    for kind in KINDS:
        names = {f.name for f in dataclasses.fields(settings.training[kind])}
        assert names - {"episode_length"} == set(config[kind]) - {"threads"}, kind
        as_dict = settings.structure[kind].as_dict()
        assert set(as_dict) == set(config["structure"]) - {"threads", "variants"}, kind
    assert dataclasses.asdict(settings.convergence) == config["convergence"]
    assert settings.threads == {"prediction": 1, "bandit": 1, "structure": 1}


def test_structure_settings_record_what_the_config_spells(config):
    block = config["structure"]
    for kind in KINDS:
        expected = {k: v for k, v in block.items() if k not in ("threads", "variants")}
        expected["hidden_size"] = block["hidden_size"][kind]
        assert Settings.from_config(config).structure[kind].as_dict() == expected


@pytest.mark.parametrize(
    "cls",
    [
        Settings,
        EvaluationSettings,
        StructureSettings,
        ConvergenceSettings,
        PredictionSettings,
        BanditSettings,
        EmbeddingSettings,
        Variant,
    ],
)
def test_settings_have_no_defaults_of_their_own(cls):
    """config.yaml is the one place where a setting gets its value."""
    for field in dataclasses.fields(cls):
        assert field.default is dataclasses.MISSING, field.name
        assert field.default_factory is dataclasses.MISSING, field.name


def test_settings_are_frozen(config):
    settings = Settings.from_config(config)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.training["prediction"].n_updates = 1


@pytest.mark.parametrize(
    "preset", sorted(f for f in os.listdir(os.path.join(REPO, "presets")) if f.endswith(".yaml"))
)
def test_every_preset_is_a_valid_config(preset):
    Settings.from_config(load_config([CONFIG, os.path.join(REPO, "presets", preset)]))


def test_the_one_seed_preset_is_the_paper_scale_with_one_seed():
    paper = Settings.from_config(load_config([CONFIG]))
    one = Settings.from_config(load_config([CONFIG, os.path.join(REPO, "presets/one_seed.yaml")]))
    assert one.seeds == (0,) and not one.ablation.tasks
    assert one.training == paper.training and one.evaluation == paper.evaluation
    assert one.variants == paper.variants


def test_a_preset_overrides_settings_key_by_key():
    quick = Settings.from_config(load_config([CONFIG, os.path.join(REPO, "presets/quick.yaml")]))
    paper = Settings.from_config(load_config([CONFIG]))
    assert quick.training["prediction"].n_updates == 1500
    assert quick.training["bandit"].n_updates == 600
    quick_bandit, paper_bandit = quick.training["bandit"], paper.training["bandit"]
    assert (quick_bandit.hidden_size, paper_bandit.hidden_size) == (128, 256)
    # Keys the preset does not name keep the paper's values.
    assert quick_bandit.batch_size == paper_bandit.batch_size
    assert quick.seeds == (0,) and quick.evaluation.n_episodes == 200
    assert quick.evaluation.seed == paper.evaluation.seed
    assert quick.variants == paper.variants[:1]  # the main analysis alone
    assert len(paper.variants) == 6


def test_evaluation_settings_carry_the_episode_length(config):
    config["episode_length"] = 7
    settings = Settings.from_config(config)
    assert settings.evaluation.episode_length == 7
    assert all(settings.training[kind].episode_length == 7 for kind in KINDS)
