"""Conda environments and the Python lock agree, offline: every env pins every package at the
version of requirements.lock, and pyproject.toml's pins are in the lock too."""

from __future__ import annotations

import glob
import os
import re
import tomllib

import pytest
import yaml

from .conftest import REPO, rule_blocks


def lock() -> dict[str, str]:
    pins = {}
    with open(os.path.join(REPO, "requirements.lock")) as f:
        for line in f:
            line = line.split("#")[0].strip()
            if line:
                name, version = line.split("==")
                pins[_normalise(name)] = version
    return pins


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


ENV_FILES = sorted(glob.glob(os.path.join(REPO, "envs", "*.yaml")))


def test_there_are_env_files():
    assert ENV_FILES


@pytest.mark.parametrize("path", ENV_FILES, ids=os.path.basename)
def test_env_pins_every_package_at_the_locked_version(path):
    with open(path) as f:
        env = yaml.safe_load(f)
    pins = lock()
    assert "defaults" not in env["channels"]
    for dependency in env["dependencies"]:
        if isinstance(dependency, dict):
            for requirement in dependency["pip"]:
                name, _, version = requirement.partition("==")
                assert version, f"{path}: pip requirement {requirement!r} is not pinned"
                assert pins[_normalise(name)] == version, f"{path}: {requirement} vs lock"
        else:
            name, _, version = dependency.partition("=")
            assert version, f"{path}: conda package {dependency!r} is not pinned"


@pytest.mark.parametrize("path", ENV_FILES, ids=os.path.basename)
def test_env_holds_the_package_dependencies_and_its_python(path):
    """A rule's env installs what the package needs, on the Python the project supports."""
    with open(path) as f:
        env = yaml.safe_load(f)
    with open(os.path.join(REPO, "pyproject.toml"), "rb") as f:
        project = tomllib.load(f)["project"]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert sorted(map(_normalise, pip)) == sorted(map(_normalise, project["dependencies"]))
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python="))
    version = tuple(int(part) for part in python.partition("=")[2].split("."))
    assert len(version) == 3, f"{path}: {python} is not an exact version"
    bounds = re.fullmatch(r">=(\d+)\.(\d+),<(\d+)\.(\d+)", project["requires-python"])
    low_major, low_minor, high_major, high_minor = map(int, bounds.groups())
    assert (low_major, low_minor) <= version[:2] < (high_major, high_minor), python


def test_pyproject_pins_match_the_lock():
    with open(os.path.join(REPO, "pyproject.toml"), "rb") as f:
        project = tomllib.load(f)["project"]
    requirements = project["dependencies"] + sum(project["optional-dependencies"].values(), [])
    pins = lock()
    for requirement in requirements:
        name, _, version = requirement.partition("==")
        assert pins[_normalise(name)] == version, requirement


def test_every_rule_that_runs_code_names_an_existing_env():
    for name, rule in rule_blocks().items():
        if "script:" not in rule:
            continue
        env = re.search(r'conda:\s*\n\s*"([^"]+)"', rule)
        assert env, f"rule {name} has no conda env"
        assert os.path.exists(os.path.join(REPO, "rules", env[1])), (name, env[1])
