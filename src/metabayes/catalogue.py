"""The names a config can use, without the machinery behind them.

Snakemake loads this module (through :mod:`metabayes.config` and :mod:`metabayes.settings`)
every time it starts: for every command a user types, and once more inside every SLURM job.
So it, and those two modules, import neither torch nor NumPy; torch alone would add 2–3 s to
each start. The objects the names stand for live in :mod:`metabayes.tasks`, :mod:`metabayes.rnn`
and :mod:`metabayes.analysis`; ``tests/test_catalogue.py`` checks that they agree with it.
"""

from __future__ import annotations

PREDICTION_TASK_NAMES = (
    "bernoulli_beta_1_1",
    "bernoulli_beta_05_05",
    "bernoulli_beta_10_10",
    "categorical_dir_1_1_1",
    "categorical_dir_05x5",
    "exponential_gamma_1_1",
    "exponential_gamma_5_5",
    "gaussian_known_var",
    "gaussian_normal_gamma_1",
    "gaussian_normal_gamma_2",
)
"""The prediction tasks of :data:`metabayes.tasks.PREDICTION_TASKS`, in its order."""

BANDIT_TASK_NAMES = (
    "bernoulli_bandit_beta_1_1",
    "bernoulli_bandit_beta_1_1_vs_3_3",
    "gaussian_bandit_sigma_1",
    "gaussian_bandit_sigma_05",
)
"""The bandit tasks of :data:`metabayes.tasks.BANDIT_TASKS`, in its order."""

TASK_NAMES = {"prediction": PREDICTION_TASK_NAMES, "bandit": BANDIT_TASK_NAMES}
"""Every registered task, by the name of its kind (:data:`metabayes.kinds.KINDS`)."""


def kind_name(task: str) -> str:
    """``"prediction"`` or ``"bandit"``: the kind of a registered task."""
    for kind, names in TASK_NAMES.items():
        if task in names:
            return kind
    raise KeyError(f"unknown task {task!r}")


KINDS_WITH_TABLES = ("bandit",)
"""Kinds whose steps read a task's Gittins-table file (``results/gittins/{task}.h5``)."""


def uses_tables(task: str) -> bool:
    """Whether a registered task's steps read its Gittins tables."""
    return kind_name(task) in KINDS_WITH_TABLES


INITS = ("torch", "haiku")
"""Initialisation schemes of the meta-learner's parameters (:func:`metabayes.rnn.initialise`)."""

PRECISIONS = ("float32", "bfloat16")
"""Operand types of the bandit LSTM's matrix products in training, by torch name
(:mod:`metabayes.stack`)."""

OPT_COORDINATES = ("statistics", "posterior")
"""The coordinate systems of Opt's state that the analysis offers
(:mod:`metabayes.analysis.coordinates`)."""

PHI_TARGETS = ("projection", "state")
"""Where ϕ lands in the Opt → RNN direction (:class:`metabayes.settings.Variant`)."""

RNN_COMPONENTS = r"^(n|[1-9][0-9]*n|all)$"
"""The RNN principal components kept: n, a multiple of n (e.g. 4n), or all."""
