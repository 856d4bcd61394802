"""Static checks that are part of the suite: snakemake --lint, snakefmt and ruff."""

from __future__ import annotations

import os
import subprocess
import sys

from .conftest import REPO

BIN = os.path.dirname(sys.executable)


def run(*command):
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)


def test_snakemake_lint():
    result = run(os.path.join(BIN, "snakemake"), "--lint")
    assert result.returncode == 0, result.stdout + result.stderr


def test_snakefmt():
    result = run(os.path.join(BIN, "snakefmt"), "--check", "Snakefile", "rules")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff():
    result = run(os.path.join(BIN, "ruff"), "check", "src", "tests", "workflow", "benchmarks")
    assert result.returncode == 0, result.stdout + result.stderr
