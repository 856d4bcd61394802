"""The names the config can use (catalogue.py) agree with the objects behind them, and the
modules every Snakemake start loads import no torch."""

import subprocess
import sys

import pytest

from metabayes import catalogue
from metabayes.analysis.coordinates import Coordinates
from metabayes.kinds import KINDS, kind_of
from metabayes.rnn import MetaLearner, initialise
from metabayes.settings import TRAINING_SETTINGS, Variant
from metabayes.tasks import BANDIT_TASKS, PREDICTION_TASKS, TASKS


def test_task_names_are_the_registrys_by_kind_and_in_order():
    assert catalogue.PREDICTION_TASK_NAMES == tuple(PREDICTION_TASKS)
    assert catalogue.BANDIT_TASK_NAMES == tuple(BANDIT_TASKS)
    assert set(catalogue.TASK_NAMES) == set(KINDS) == set(TRAINING_SETTINGS)
    for name in TASKS:
        assert catalogue.kind_name(name) == kind_of(name).name == TASKS[name].kind
        assert catalogue.uses_tables(name) == kind_of(name).uses_tables
    with pytest.raises(KeyError, match="no_such_task"):
        catalogue.kind_name("no_such_task")


def test_every_named_choice_is_one_the_code_accepts():
    for scheme in catalogue.INITS:
        initialise(MetaLearner(2, 4, 2), scheme)
    with pytest.raises(ValueError, match="known: torch, haiku"):
        initialise(MetaLearner(2, 4, 2), "xavier")
    model = PREDICTION_TASKS["categorical_dir_1_1_1"].model
    for name in catalogue.OPT_COORDINATES:
        Coordinates(name, (model,))
    for target in catalogue.PHI_TARGETS:
        Variant("statistics", "n", target)
    with pytest.raises(ValueError, match="phi_target"):
        Variant("statistics", "n", "elsewhere")


def test_what_snakemake_loads_imports_no_torch():
    """The Snakefile's imports (config validation, settings, task names) cost every Snakemake
    start and every SLURM job; torch alone would add 2–3 s to each."""
    heavy = ("torch", "numpy", "scipy", "pandas")
    code = (
        "import sys, metabayes.catalogue, metabayes.config, metabayes.settings; "
        f"print(','.join(m for m in {heavy!r} if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == ""
