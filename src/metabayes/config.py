"""The configuration schema and its validation.

The workflow validates ``config.yaml`` (merged with any ``--configfile`` preset) before any
job is planned: unknown keys, wrong types, out-of-range values and unknown task names are
rejected with a message that names the offending key.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import jsonschema
import yaml

from metabayes.analysis.coordinates import OPT_COORDINATES
from metabayes.analysis.structure_runs import PHI_TARGETS, RNN_COMPONENTS
from metabayes.rnn import INITS
from metabayes.tasks import TASKS

_POSITIVE_INT = {"type": "integer", "minimum": 1}
_POSITIVE_NUMBER = {"type": "number", "exclusiveMinimum": 0}


def _training_block(**extra: dict) -> dict:
    """Schema of a training block (``prediction``, ``bandit``): the shared keys plus ``extra``."""
    properties = {
        "hidden_size": {"description": "N, LSTM units.", **_POSITIVE_INT},
        "batch_size": {"description": "Episodes per update.", **_POSITIVE_INT},
        "n_updates": {"description": "Adam updates.", **_POSITIVE_INT},
        "learning_rate": {"description": "Adam step size.", **_POSITIVE_NUMBER},
        "lr_schedule": {"enum": ["constant", "cosine"]},
        "grad_clip": {"description": "Max global gradient norm.", **_POSITIVE_NUMBER},
        "n_checkpoints": {"type": "integer", "minimum": 2},
        "log_every": {"description": "Updates between log rows.", **_POSITIVE_INT},
        "threads": {"description": "Torch threads per training job.", **_POSITIVE_INT},
        "init": {"description": "Parameter initialisation.", "enum": list(INITS)},
        **extra,
    }
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(properties),
        "properties": properties,
    }


_VARIANT_PROPERTIES = {
    "opt_coordinates": {
        "description": "Coordinates of Opt's state: raw statistics or log posterior parameters.",
        "enum": list(OPT_COORDINATES),
    },
    "rnn_components": {
        "description": "RNN principal components kept: n (Bayes state dimension), kn or all.",
        "type": "string",
        "pattern": RNN_COMPONENTS,
    },
    "phi_target": {
        "description": "Where ϕ lands in Opt → RNN: the whitened projection or the full state.",
        "enum": list(PHI_TARGETS),
    },
}
"""The ``structure`` settings that choose an analysis variant, also the keys of a variant."""

SCHEMA: dict = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "tasks",
        "seeds",
        "episode_length",
        "evaluation",
        "prediction",
        "bandit",
        "structure",
        "convergence",
    ],
    "properties": {
        "tasks": {
            "description": "Tasks to run, by registry name (SPEC §1).",
            "type": "array",
            "items": {"type": "string", "enum": sorted(TASKS)},
            "minItems": 1,
            "uniqueItems": True,
        },
        "seeds": {
            "description": "Training seeds; one meta-learner is trained per task and seed.",
            "type": "array",
            "items": {"type": "integer", "minimum": 0},
            "minItems": 1,
            "uniqueItems": True,
        },
        "episode_length": {"description": "T, steps per episode.", **_POSITIVE_INT},
        "evaluation": {
            "type": "object",
            "additionalProperties": False,
            "required": ["n_episodes", "seed"],
            "properties": {
                "n_episodes": {"description": "K, evaluation episodes.", **_POSITIVE_INT},
                "seed": {"description": "Evaluation seed.", "type": "integer", "minimum": 0},
            },
        },
        "prediction": _training_block(),
        "bandit": _training_block(
            entropy_cost={
                "description": "Entropy bonus weight at update 1, annealed to 0.",
                "type": "number",
                "minimum": 0,
            },
            value_cost={"description": "Value-loss weight.", **_POSITIVE_NUMBER},
        ),
        "structure": {
            "type": "object",
            "additionalProperties": False,
            "required": [
                "split",
                "hidden_size",
                "n_layers",
                "learning_rate",
                "batch_size",
                "max_epochs",
                "patience",
                "threads",
                "opt_coordinates",
                "rnn_components",
                "phi_target",
                "variants",
            ],
            "properties": {
                **_VARIANT_PROPERTIES,
                "variants": {
                    "description": "Analysis variants of the robustness stage: each entry "
                    "overrides some of opt_coordinates, rnn_components, phi_target.",
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": _VARIANT_PROPERTIES,
                    },
                },
                "split": {
                    "description": "Fractions of episodes: fit ϕ, stop early, score D_s/D_o.",
                    "type": "array",
                    "items": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                    "minItems": 3,
                    "maxItems": 3,
                },
                "hidden_size": {
                    "description": "Units per hidden layer of ϕ, by task kind.",
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["prediction", "bandit"],
                    "properties": {"prediction": _POSITIVE_INT, "bandit": _POSITIVE_INT},
                },
                "n_layers": {"description": "Hidden layers of ϕ.", **_POSITIVE_INT},
                "learning_rate": {"description": "Adam step size.", **_POSITIVE_NUMBER},
                "batch_size": {"description": "States per update.", **_POSITIVE_INT},
                "max_epochs": {"description": "Epochs at most.", **_POSITIVE_INT},
                "patience": {"description": "Epochs without improvement.", **_POSITIVE_INT},
                "threads": {"description": "Torch threads per job.", **_POSITIVE_INT},
            },
        },
        "convergence": {
            "type": "object",
            "additionalProperties": False,
            "required": ["n_episodes", "max_iter"],
            "properties": {
                "n_episodes": {
                    "description": "Evaluation episodes the pairwise distances average over.",
                    **_POSITIVE_INT,
                },
                "max_iter": {"description": "SMACOF iterations of the MDS.", **_POSITIVE_INT},
            },
        },
    },
}


class ConfigError(ValueError):
    """A configuration that does not match the schema; the message names the key."""


def validate_config(config: dict) -> dict:
    """Check a configuration against :data:`SCHEMA`; returns it unchanged if valid.

    Raises:
        ConfigError: naming the first offending key (dotted path), with what is wrong.
    """
    validator = jsonschema.Draft202012Validator(SCHEMA)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        raise ConfigError(_describe(errors[0]))
    split = config["structure"]["split"]
    if abs(sum(split) - 1) > 1e-9:
        raise ConfigError(f"config key 'structure.split': fractions {split} must sum to 1")
    return config


def load_config(paths: Iterable[str | os.PathLike]) -> dict:
    """Load YAML files, later ones overriding earlier ones key by key, and validate."""
    config: dict = {}
    for path in paths:
        with open(path) as f:
            content = yaml.safe_load(f) or {}
        if not isinstance(content, dict):
            raise ConfigError(
                f"{path}: expected a mapping of config keys, got {type(content).__name__}"
            )
        _merge(config, content)
    return validate_config(config)


def _merge(base: dict, override: dict) -> None:
    """Recursive dict update, as Snakemake applies ``--configfile`` overrides."""
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value


def _describe(error: jsonschema.ValidationError) -> str:
    path = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - known)
        where = f"{path}." if path else ""
        keys = ", ".join(f"'{where}{k}'" for k in unknown)
        return f"config key {keys} is not known; allowed here: {', '.join(sorted(known))}"
    if error.validator == "required":
        where = f"{path}." if path else ""
        missing = [k for k in error.validator_value if k not in error.instance]
        return f"config key '{where}{missing[0]}' is missing"
    return f"config key '{path}': {error.message}"
