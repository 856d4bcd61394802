"""The paper's claims, checked against the measured values with criteria stated in advance.

Each claim has a per-task test on the medians over seeds (and 5–95 % quantiles) of
:mod:`metabayes.analysis.summary`, on per-seed values where noise matters (the standard
errors of eq. 3 and of D_o), or on the per-run distances to Opt of
:mod:`metabayes.analysis.convergence`. A claim is *reproduced* when its test holds on every task
it concerns, *not reproduced* when it holds on none, *undecided* when every task's test lies
within the noise of its measurement (claim 1 for bandits), and *mixed* otherwise. The thresholds
are this project's choices (the paper states its claims qualitatively); they are printed
with the verdicts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from metabayes.analysis.summary import fig7_table
from metabayes.tasks import task_kind

BEHAVIOUR_SMALL = {"prediction": 0.05, "bandit": 0.1}
"""An eq. 2 (nats per 20-step episode) or eq. 3 (reward per episode) value this small counts
as indistinguishable from Opt; the same bound applies to D_o, which uses the same forms."""

REDUCTION = 0.05
"""Training must bring the behavioural dissimilarity below this fraction of the untrained one."""

STATE_SMALL = 0.1
"""D_s (whitened units: 1 is the error of predicting the mean) this small is a good embedding."""

CLEARLY = 2.0
"""One median is 'clearly higher' than another when it is at least this many times larger."""

SEPARATED = 2.0
"""A difference counts as beyond noise when it is at least this many standard errors."""

CONVERGED = 0.2
"""A run has converged towards Opt when training has brought its behavioural distance to Opt
(that of the MDS) to at most this fraction of the untrained distance: five times closer."""


class _Values:
    """Per-task lookup of a fig7 row, ``v(column, checkpoint)`` → Series (median, q05, q95),
    of per-seed values, ``v.seeds(column, checkpoint)``, and of the runs' distances to Opt,
    ``v.distances(checkpoint)``; the last two are Series indexed by seed."""

    def __init__(self, values: pd.DataFrame, convergence: pd.DataFrame, task: str):
        self.values = values[values.task == task]
        self.rows = fig7_table(self.values, [task]).set_index(["column", "checkpoint"])
        self.runs = convergence[convergence.task == task]
        self.kind = task_kind(task)

    def __call__(self, column: str, checkpoint: str) -> pd.Series:
        return self.rows.loc[(column, checkpoint)]

    def seeds(self, column: str, checkpoint: str) -> pd.Series:
        rows = self.values[(self.values.column == column) & (self.values.checkpoint == checkpoint)]
        return rows.set_index("seed").value.sort_index()

    def distances(self, checkpoint: str) -> pd.Series:
        rows = self.runs[self.runs.checkpoint == checkpoint]
        return rows.set_index("seed").distance_to_opt.sort_index()


@dataclass(frozen=True)
class Claim:
    """A claim of the paper, where it is made, and its per-task test."""

    title: str
    source: str
    criterion: str
    test: Callable[[_Values], tuple[bool | None, str]] | None  # per task: (holds, the
    # numbers), holds None: undecided, within the noise of the measurement; test None: the
    # claim is tested on another table (MEMORY_CLAIM)
    kinds: tuple[str, ...] = ("prediction", "bandit")


def _behaves_like_opt(v):
    init, final = v("behaviour", "init"), v("behaviour", "final")
    small = BEHAVIOUR_SMALL[v.kind]
    holds = bool(final["median"] <= small and final["median"] <= REDUCTION * init["median"])
    text = f"final {_fmt(final)} vs init {_fmt(init)}"
    if v.kind == "bandit":  # eq. 3 is a noisy mean over K episodes
        error = SEPARATED * v.seeds("behaviour_se", "final").median()
        if final["median"] <= REDUCTION * init["median"] and final["median"] + error > small:
            holds = None if final["median"] - error <= small else False  # bound within noise?
        text += f"; ± {SEPARATED:g} SE {_g(error)}"
    return holds, text


def _init_differs(v):
    init, final = v("behaviour", "init"), v("behaviour", "final")
    return init.q05 > final.q95, f"init {_fmt(init)} vs final {_fmt(final)}"


def _rnn_to_opt_low(v):
    d_s, d_o = v("rnn_to_opt_d_s", "final"), v("rnn_to_opt_d_o", "final")
    holds = d_s["median"] <= STATE_SMALL and d_o["median"] <= BEHAVIOUR_SMALL[v.kind]
    return holds, f"D_s {_fmt(d_s)}, D_o {_fmt(d_o)}"


def _reverse_d_o_higher(v):
    forward, reverse = v("rnn_to_opt_d_o", "final"), v("opt_to_rnn_d_o", "final")
    ratio = reverse["median"] / max(forward["median"], 1e-300)
    gap = v.seeds("opt_to_rnn_d_o", "final") - v.seeds("rnn_to_opt_d_o", "final")
    noise = np.hypot(v.seeds("opt_to_rnn_d_o_se", "final"), v.seeds("rnn_to_opt_d_o_se", "final"))
    separation = (gap / noise).fillna(0.0).median()  # 0/0: two identical zeros
    text = (
        f"Opt→RNN {_fmt(reverse)} vs RNN→Opt {_fmt(forward)} (×{ratio:.2g}; "
        f"gap {_g(separation)} SE)"
    )
    return ratio >= CLEARLY and separation >= SEPARATED, text


def _init_structurally_different(v):
    parts, holds = [], True
    for column in ("rnn_to_opt_d_o", "opt_to_rnn_d_o") + (
        ("rnn_to_opt_d_s",) if v.kind == "prediction" else ()
    ):
        init, final = v(column, "init"), v(column, "final")
        holds &= init["median"] >= CLEARLY * final["median"]
        parts.append(f"{_short(column)} {init['median']:.2g} → {final['median']:.2g}")
    return holds, "; ".join(parts)


def _bandit_reservoir(v):
    init, final = v("rnn_to_opt_d_s", "init"), v("rnn_to_opt_d_s", "final")
    return init["median"] < CLEARLY * final["median"], f"init {_fmt(init)} vs final {_fmt(final)}"


def _runs_converge(v):
    init, final = v.distances("init"), v.distances("final")
    ratio = final / init
    text = (
        f"final {_g(final.median())} [{_g(final.min())}, {_g(final.max())}] vs init "
        f"{_g(init.median())} [{_g(init.min())}, {_g(init.max())}]; largest final/init "
        f"{_g(ratio.max())} ({len(ratio)} runs)"
    )
    return bool((ratio <= CONVERGED).all()), text


CLAIMS = (
    Claim(
        "Trained meta-learners behave like the Bayes-optimal agent",
        "§4.1, Fig. 4a",
        f"final median of eq. 2 ≤ {BEHAVIOUR_SMALL['prediction']} nats per episode (prediction) "
        f"or of eq. 3 ≤ {BEHAVIOUR_SMALL['bandit']} (bandits), and ≤ {REDUCTION:g} × the untrained "
        f"median; eq. 3 is a mean over K episodes: a bandit task whose bound lies within ± "
        f"{SEPARATED:g} standard errors (median over seeds) of the final median is undecided",
        _behaves_like_opt,
    ),
    Claim(
        "Untrained meta-learners do not behave like it",
        "§4.1, Fig. 4a",
        "the 5 % quantile over seeds at init lies above the 95 % quantile at final",
        _init_differs,
    ),
    Claim(
        "Meta-learners are simulated by Opt: RNN → Opt D_s and D_o are low",
        "§4.3, Fig. 4b–c",
        f"final medians D_s ≤ {STATE_SMALL} (whitened units) and D_o within the behavioural "
        "bound of claim 1",
        _rnn_to_opt_low,
    ),
    Claim(
        "The reverse simulation is worse: Opt → RNN D_o is higher than RNN → Opt D_o",
        "§4.3, Fig. 4c vs 4e",
        f"final median of Opt → RNN D_o ≥ {CLEARLY:g} × that of RNN → Opt, and the per-seed "
        f"gap between them ≥ {SEPARATED:g} standard errors over the held-out episodes "
        "(median over seeds): a ratio of two noise-level values does not count",
        _reverse_d_o_higher,
    ),
    Claim(
        "Untrained meta-learners do not resemble Opt structurally",
        "§4.3, App. D.1",
        f"init medians ≥ {CLEARLY:g} × final for D_o in both directions, and for RNN → Opt D_s "
        "on prediction tasks (bandits: see the next claim)",
        _init_structurally_different,
    ),
    Claim(
        "Bandits: even untrained meta-learners have low RNN → Opt D_s (reservoir effect)",
        "§4.3, Discussion",
        f"init median of RNN → Opt D_s < {CLEARLY:g} × the final median",
        _bandit_reservoir,
        kinds=("bandit",),
    ),
    Claim(
        "All runs converge towards the Bayes-optimal agent",
        "§4.2, Fig. 2, App. D.5",
        f"every run's distance to Opt (Jensen–Shannon divergence for prediction, absolute "
        f"difference of cumulative regret for bandits, as in the MDS; min–max over runs in "
        f"brackets) at the final checkpoint ≤ {CONVERGED:g} × its distance at init",
        _runs_converge,
    ),
)


MEMORY_CLAIM = Claim(
    "Reduced-memory meta-learners cannot behave like Opt; at the main width they do",
    "§4.1, App. D.7",
    "for every width whose memory (c, h) holds fewer numbers than the Bayes state (2N < d), "
    "every seed's final eq. 2 / eq. 3 stays above claim 1's bound "
    f"({BEHAVIOUR_SMALL['prediction']} / {BEHAVIOUR_SMALL['bandit']}; for eq. 3 by more "
    f"than {SEPARATED:g} standard errors, "
    "within them: undecided), and the main width's final median is within it; tasks without "
    "such a width are not tested",
    test=None,  # tested on the memory table: memory_claim_rows
)
"""App. D.7's claim, tested on :func:`metabayes.analysis.ablation.memory_table`."""


def memory_claim_rows(memory: pd.DataFrame) -> list[tuple[str, bool | None, str]]:
    """:data:`MEMORY_CLAIM` per task: (task, holds, the numbers), for the tasks of the memory
    table with a width below the Bayes state dimension and the main width."""
    rows = []
    for task, runs in memory.groupby("task", sort=False):
        bound = BEHAVIOUR_SMALL[runs.kind.iloc[0]]
        small, main = runs[runs.memory_dim < runs.bayes_dim], runs[runs.main]
        if small.empty or main.empty:
            continue
        noise = SEPARATED * small.final_se.fillna(0.0)
        above = bool((small.final - noise > bound).all())
        within_noise = not above and bool((small.final + noise > bound).all())
        closes = bool(main.final.median() <= bound)
        holds: bool | None = None if within_noise and closes else above and closes
        parts = [
            f"N = {width}: final {_spread(cell.final)}, untrained {_spread(cell.untrained)}, "
            f"{cell.floor_name.iloc[0]} {_g(cell.floor.iloc[0])}"
            for width, cell in small.groupby("width")
        ]
        parts.append(f"main N = {main.width.iloc[0]}: final {_spread(main.final)}")
        rows.append((task, holds, f"Bayes state {runs.bayes_dim.iloc[0]}; " + "; ".join(parts)))
    return rows


def _spread(values: pd.Series) -> str:
    """Median [min, max] over seeds."""
    return f"{_g(values.median())} [{_g(values.min())}, {_g(values.max())}]"


STRUCTURAL = (3, 4, 5, 6)
"""The claims (numbered from 1 as in :data:`CLAIMS`) that rest on the structural comparison,
and so on its analysis choices."""


def evaluate(
    values: pd.DataFrame, convergence: pd.DataFrame, numbers: tuple[int, ...] | None = None
) -> list[tuple[int, Claim, str, list[tuple[str, bool | None, str]]]]:
    """For every claim (or those ``numbers``): its number, the claim, its verdict and, per task
    it concerns, (task, holds, numbers).

    Args:
        values: per-seed values (:func:`metabayes.analysis.summary.per_seed_values`).
        convergence: the per-run distances to Opt (``results/convergence/{task}.csv``); only
            the convergence claim reads it.
        numbers: which claims, by number; all if None.
    """
    tasks = list(dict.fromkeys(values.task))
    results = []
    for number, claim in enumerate(CLAIMS, 1):
        if numbers is not None and number not in numbers:
            continue
        rows = [
            (task, *_tested(claim, _Values(values, convergence, task)))
            for task in tasks
            if task_kind(task) in claim.kinds
        ]
        results.append((number, claim, verdict([holds for _, holds, _ in rows]), rows))
    return results


def _tested(claim: Claim, values: _Values) -> tuple[bool | None, str]:
    holds, text = claim.test(values)
    return (None if holds is None else bool(holds)), text


def verdict(holds: list[bool | None]) -> str:
    """reproduced (all hold), not reproduced (none), undecided (every task undecided: None),
    mixed (otherwise); no tasks: not tested."""
    if not holds:
        return "not tested"
    if all(h is True for h in holds):
        return "reproduced"
    if all(h is None for h in holds):
        return "undecided"
    return "not reproduced" if all(h is False for h in holds) else "mixed"


def yes_no(holds: bool | None) -> str:
    """A task's result as the claims files print it."""
    return {True: "yes", False: "no", None: "undecided (within noise)"}[holds]


def claims_markdown(
    values: pd.DataFrame,
    structure: pd.DataFrame,
    convergence: pd.DataFrame,
    memory: pd.DataFrame | None = None,
) -> str:
    """The claims file: a summary table, then each claim's numbers per task.

    Args:
        values: per-seed values (:func:`metabayes.analysis.summary.per_seed_values`).
        structure: the rows of the structure tables.
        convergence: the per-run distances to Opt.
        memory: the width ablation's memory table, for :data:`MEMORY_CLAIM` (None: no
            ablation; the claim is left out).
    """
    results = evaluate(values, convergence)
    if memory is not None:
        rows = memory_claim_rows(memory)
        results.append(
            (len(CLAIMS) + 1, MEMORY_CLAIM, verdict([holds for _, holds, _ in rows]), rows)
        )
    seeds = sorted(set(values.groupby("task").seed.nunique()))
    lines = [
        "# The paper's claims and what this run measured",
        "",
        "Generated by the workflow (rule `write_claims`) from the behaviour, structure and "
        "convergence tables: medians over "
        f"{'/'.join(map(str, seeds))} seeds per task, with 5–95 % quantiles in brackets. "
        "A claim is *reproduced* when its criterion holds on every task it concerns, *not "
        "reproduced* when it holds on none, *undecided* when every task lies within the noise "
        "of its measurement, *mixed* otherwise. The thresholds are this "
        "project's choices (the paper states its claims qualitatively), fixed in "
        "`src/metabayes/analysis/claims.py` and the same for every run. Claims "
        f"{', '.join(map(str, STRUCTURAL))} rest on analysis choices the paper leaves open; "
        "[robustness.md](robustness.md) gives their verdicts under each choice.",
        "",
        f"Code version(s): {', '.join(sorted(set(structure.code_version.astype(str))))}; "
        f"structure config hash(es): {', '.join(sorted(set(structure.config_hash.astype(str))))}.",
        "",
        "| # | claim | paper | criterion | verdict | tasks where it holds |",
        "|---|---|---|---|---|---|",
    ]
    for i, claim, result, rows in results:
        held = sum(holds is True for _, holds, _ in rows)
        lines.append(
            f"| {i} | {claim.title} | {claim.source} | {claim.criterion} | **{result}** "
            f"| {held}/{len(rows)} |"
        )
    for i, claim, result, rows in results:
        lines += ["", f"## {i}. {claim.title}: {result}", "", f"Criterion: {claim.criterion}.", ""]
        lines += ["| task | holds | measured |", "|---|---|---|"]
        lines += [f"| `{task}` | {yes_no(h)} | {text} |" for task, h, text in rows]
    lines += ["", *_explained_variance(structure), "", *_truncation(structure)]
    return "\n".join(lines) + "\n"


def _explained_variance(structure: pd.DataFrame) -> list[str]:
    """Paper App. D.2: the fraction of RNN state variance on the n principal components."""
    per_run = structure.drop_duplicates(["task", "seed", "checkpoint"])
    summary = per_run.groupby(["task", "checkpoint"], sort=False).rnn_explained.median()
    lines = [
        "## RNN state variance on the first n principal components (n = Bayes state dimension)",
        "",
        "Paper §4.3 / App. D.2: a few components explain a large fraction. Median over seeds.",
        "",
        "| task | n | init | final |",
        "|---|---|---|---|",
    ]
    n = per_run.groupby("task", sort=False).n_components.first()
    for task in dict.fromkeys(per_run.task):
        init, final = summary[(task, "init")], summary[(task, "final")]
        lines.append(f"| `{task}` | {n[task]} | {init:.3f} | {final:.3f} |")
    return lines


def _truncation(structure: pd.DataFrame) -> list[str]:
    """How much of Opt → RNN D_o the rank-n reconstruction of the RNN state alone costs."""
    final = structure[structure.checkpoint == "final"]
    reverse = final[final.direction == "opt_to_rnn"].groupby("task", sort=False)
    d_o, floor = reverse.d_o.median(), reverse.rnn_truncation_d_o.median()
    lines = [
        "## Where Opt → RNN D_o comes from (final checkpoint)",
        "",
        "The RNN's output at an embedded state is read off the state mapped back from n whitened",
        "principal components. The same round trip applied to the RNN's *own* states, with no",
        "embedding at all, already costs the D_o in the second column (`rnn_truncation_d_o` in",
        "`results/structure/{task}.csv`). Median over seeds.",
        "",
        "| task | Opt → RNN D_o | RNN's own states through n PCs | share |",
        "|---|---|---|---|",
    ]
    for task in d_o.index:
        share = floor[task] / d_o[task] if d_o[task] > 0 else np.nan
        lines.append(f"| `{task}` | {_g(d_o[task])} | {_g(floor[task])} | {share:.0%} |")
    return lines


def _fmt(row: pd.Series) -> str:
    return f"{_g(row['median'])} [{_g(row.q05)}, {_g(row.q95)}]"


def _g(x: float) -> str:
    return f"{x:.2g}" if np.isfinite(x) else str(x)


def _short(column: str) -> str:
    direction, _, score = column.rpartition("_d_")
    arrow = "RNN→Opt" if direction == "rnn_to_opt" else "Opt→RNN"
    return f"{arrow} D_{score}"
