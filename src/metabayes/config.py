"""The configuration schema and its validation.

The workflow validates ``config.yaml`` (merged with any ``--configfile`` preset) before any
job is planned, and ``python -m metabayes check-config`` does the same on the same files:
unknown keys, wrong types, out-of-range values, unknown task names and settings that do not
fit together are rejected with a message that names the offending key and what is allowed.

Types are strict: an integer is a YAML integer (``20.0`` is refused where a count is
expected), and a number is finite (``.nan`` and ``.inf`` are refused everywhere).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable

import jsonschema
import yaml

from metabayes.catalogue import (
    INITS,
    OPT_COORDINATES,
    PHI_TARGETS,
    PRECISIONS,
    RNN_COMPONENTS,
    TASK_NAMES,
)
from metabayes.settings import split_sizes

_TASKS = sorted(name for names in TASK_NAMES.values() for name in names)

_POSITIVE_INT = {"type": "integer", "minimum": 1}
_POSITIVE_NUMBER = {"type": "number", "exclusiveMinimum": 0}
_LEARNING_RATE = {"description": "Adam step size, in (0, 1].", **_POSITIVE_NUMBER, "maximum": 1}
_SEED = {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}  # stored as int64 in HDF5
MAX_WIDTH = 4096
"""Widths above this are a typo (the paper's largest network has 256 units)."""
MIN_EPISODE_LENGTH = 2
"""T = 1 leaves one state per episode after the first input: nothing to compare over time."""


def _training_block(**extra: dict) -> dict:
    """Schema of a training block (``prediction``, ``bandit``): the shared keys plus ``extra``."""
    properties = {
        "hidden_size": {"description": "N, LSTM units.", **_POSITIVE_INT},
        "batch_size": {"description": "Episodes per update.", **_POSITIVE_INT},
        "n_updates": {"description": "Adam updates.", **_POSITIVE_INT},
        "learning_rate": _LEARNING_RATE,
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
        "ablation",
    ],
    "properties": {
        "tasks": {
            "description": "Tasks to run, by registry name (SPEC §1).",
            "type": "array",
            "items": {"type": "string", "enum": _TASKS},
            "minItems": 1,
            "uniqueItems": True,
        },
        "seeds": {
            "description": "Training seeds; one meta-learner is trained per task and seed.",
            "type": "array",
            "items": _SEED,
            "minItems": 1,
            "uniqueItems": True,
        },
        "episode_length": {
            "description": "T, steps per episode.",
            "type": "integer",
            "minimum": MIN_EPISODE_LENGTH,
        },
        "evaluation": {
            "type": "object",
            "additionalProperties": False,
            "required": ["n_episodes", "seed"],
            "properties": {
                "n_episodes": {"description": "K, evaluation episodes.", **_POSITIVE_INT},
                "seed": {"description": "Evaluation seed.", **_SEED},
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
            precision={
                "description": "Operands of the LSTM's matrix products in training.",
                "enum": list(PRECISIONS),
            },
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
                "learning_rate": _LEARNING_RATE,
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
        "ablation": {
            "type": "object",
            "additionalProperties": False,
            "required": ["tasks", "seeds", "widths", "speed_factor"],
            "properties": {
                "tasks": {
                    "description": "Tasks trained at other widths (none: no ablation).",
                    "type": "array",
                    "items": {"type": "string", "enum": _TASKS},
                    "uniqueItems": True,
                },
                "seeds": {
                    "description": "Training seeds of every width.",
                    "type": "array",
                    "items": _SEED,
                    "minItems": 1,
                    "uniqueItems": True,
                },
                "widths": {
                    "description": "LSTM widths N besides the main one, by task kind.",
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["prediction", "bandit"],
                    "properties": {
                        kind: {
                            "type": "array",
                            "items": {**_POSITIVE_INT, "maximum": MAX_WIDTH},
                            "uniqueItems": True,
                        }
                        for kind in ("prediction", "bandit")
                    },
                },
                "speed_factor": {
                    "description": "Convergence speed: within this factor of the final value.",
                    "type": "number",
                    "exclusiveMinimum": 1,
                },
            },
        },
    },
}


class ConfigError(ValueError):
    """A configuration that does not match the schema; the message names the key."""


def _is_integer(checker, instance) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


def _is_number(checker, instance) -> bool:
    number = isinstance(instance, int | float) and not isinstance(instance, bool)
    return number and math.isfinite(instance)


_Validator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine_many(
        {"integer": _is_integer, "number": _is_number}
    ),
)
"""Draft 2020-12 with strict types: integers are not floats, numbers are finite."""


def validate_config(config: dict) -> dict:
    """Check a configuration against :data:`SCHEMA` and across keys; returns it unchanged.

    Raises:
        ConfigError: naming the first offending key (dotted path), with what is wrong.
    """
    if not isinstance(config, dict):
        raise ConfigError(f"the config is a {type(config).__name__}, not a mapping of keys")
    errors = sorted(_Validator(SCHEMA).iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        raise ConfigError(_describe(errors[0]))
    _check_across_keys(config)
    return config


def _check_across_keys(config: dict) -> None:
    """Constraints between keys, which the schema cannot state."""
    split = config["structure"]["split"]
    if abs(sum(split) - 1) > 1e-9:
        raise ConfigError(f"config key 'structure.split': fractions {split} must sum to 1")
    K = config["evaluation"]["n_episodes"]
    parts = split_sizes(K, split)
    if min(parts) < 1:
        raise ConfigError(
            f"config key 'evaluation.n_episodes': {K} episodes split {split} "
            f"(structure.split) leave a part empty ({list(parts)} train/validation/test); "
            f"use more episodes"
        )


def load_config(paths: Iterable[str | os.PathLike]) -> dict:
    """Load YAML files, later ones overriding earlier ones key by key, and validate.

    A file that does not parse, is empty or is not a mapping is refused, naming the file (and
    the line of a syntax error).
    """
    config: dict = {}
    for path in paths:
        with open(path) as f:
            try:
                content = yaml.safe_load(f)
            except yaml.YAMLError as error:
                mark = getattr(error, "problem_mark", None)
                where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
                problem = getattr(error, "problem", None) or str(error)
                raise ConfigError(f"{path}{where}: not valid YAML: {problem}") from None
        if content is None:
            raise ConfigError(f"{path}: the file is empty; expected a mapping of config keys")
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
    if error.validator == "type" and isinstance(error.instance, float):
        if not math.isfinite(error.instance):
            return f"config key '{path}': {error.instance} is not a finite number"
    return f"config key '{path}': {error.message}"
