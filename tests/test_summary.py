"""fig7 numbers, claims verdicts and figures (Figure 4, fig7, claims.md)."""

import re

import numpy as np
import pandas as pd
import pytest

from metabayes.analysis import claims
from metabayes.analysis.summary import COLUMNS, fig7_latex, fig7_table, per_seed_values
from metabayes.plotting import figures

TASKS = ["bernoulli_beta_1_1", "bernoulli_bandit_beta_1_1"]


def _tables(seeds=(0, 1, 2)):
    """Behaviour and structure rows with known values: value = base × (seed + 1)."""
    behaviour, structure = [], []
    for task in TASKS:
        measure = "eq3" if "bandit" in task else "kl_sum"
        for seed in seeds:
            for checkpoint, base in (("init", 1.0), ("update_5", 0.5), ("final", 0.01)):
                behaviour.append(
                    {
                        "task": task,
                        "seed": seed,
                        "checkpoint": checkpoint,
                        measure: base * (seed + 1),
                        **({"eq3_se": 0.001} if measure == "eq3" else {}),
                    }
                )
            for checkpoint, base in (("init", 0.5), ("final", 0.02)):
                for direction, factor in (("rnn_to_opt", 1.0), ("opt_to_rnn", 4.0)):
                    structure.append(
                        {
                            "task": task,
                            "seed": seed,
                            "checkpoint": checkpoint,
                            "direction": direction,
                            "d_s": base * (seed + 1),
                            "d_o": factor * base * (seed + 1),
                            "d_o_se": 0.001 * base,
                            "n_components": 2,
                            "rnn_explained": 0.9,
                            "rnn_truncation_d_o": 0.001,
                            "config_hash": "abc",
                            "code_version": "v",
                        }
                    )
    return pd.DataFrame(behaviour), pd.DataFrame(structure)


def test_fig7_has_median_and_quantiles_over_seeds():
    table = fig7_table(per_seed_values(*_tables()), TASKS)
    assert list(table.columns) == [
        "task",
        "column",
        "checkpoint",
        "median",
        "q05",
        "q95",
        "n_seeds",
    ]
    assert len(table) == len(TASKS) * len(COLUMNS) * 2
    row = table[
        (table.task == "bernoulli_bandit_beta_1_1")
        & (table.column == "opt_to_rnn_d_o")
        & (table.checkpoint == "init")
    ].iloc[0]
    # values 4 × 0.5 × (seed + 1) = 2, 4, 6
    assert row["median"] == pytest.approx(4.0)
    assert row.q05 == pytest.approx(2 + 0.05 * 2 * 2)  # linear between the two smallest
    assert row.q95 == pytest.approx(4 + 0.9 * 2)  # position 0.95 × 2 = 1.9
    assert row.n_seeds == 3
    behaviour = table[(table.column == "behaviour") & (table.checkpoint == "final")]
    np.testing.assert_allclose(behaviour["median"], [0.02, 0.02])  # eq. 2 and eq. 3 rows


def test_fig7_refuses_missing_values():
    behaviour, structure = _tables()
    values = per_seed_values(behaviour, structure[structure.direction == "rnn_to_opt"])
    with pytest.raises(ValueError, match="opt_to_rnn_d_s"):
        fig7_table(values, TASKS)


def test_fig7_latex_is_a_booktabs_table():
    tex = fig7_latex(fig7_table(per_seed_values(*_tables()), TASKS))
    for needle in (r"\toprule", r"\midrule", r"\bottomrule", r"bernoulli\_bandit\_beta\_1\_1"):
        assert needle in tex
    assert tex.count(r"\\") >= len(TASKS) + 2


def _values(overrides=None):
    """Per-seed values where every claim holds but the reservoir one, with
    (task, column, checkpoint) → the value of every seed."""
    values = per_seed_values(*_tables())
    for (task, column, checkpoint), value in (overrides or {}).items():
        where = (values.task == task) & (values.column == column)
        values.loc[where & (values.checkpoint == checkpoint), "value"] = value
    return values


def _fig7(overrides=None):
    return fig7_table(_values(overrides), TASKS)


def _distances(final_over_init=None):
    """Per-run distances to Opt: init 1 + seed, final a tenth of it unless overridden."""
    rows = []
    for task in TASKS:
        for seed in range(3):
            ratio = (final_over_init or {}).get((task, seed), 0.1)
            for checkpoint, scale in (("init", 1.0), ("update_5", 0.5), ("final", ratio)):
                distance = (1 + seed) * scale
                rows.append(
                    dict(task=task, seed=seed, checkpoint=checkpoint, distance_to_opt=distance)
                )
    return pd.DataFrame(rows)


def _verdicts(values, distances=None):
    distances = _distances() if distances is None else distances
    return {claim.title: verdict for _, claim, verdict, _ in claims.evaluate(values, distances)}


CONVERGE = claims.CLAIMS[-1].title


def test_claims_verdicts_follow_the_stated_criteria():
    # The bandit reservoir claim (init D_s low) does not hold in the synthetic table.
    verdicts = _verdicts(_values())
    assert list(verdicts.values()) == ["reproduced"] * 5 + ["not reproduced", "reproduced"]
    mixed = _verdicts(_values({("bernoulli_beta_1_1", "behaviour", "final"): 0.5}))
    assert mixed[claims.CLAIMS[0].title] == "mixed"
    reverse = {(task, "opt_to_rnn_d_o", "final"): 0.01 for task in TASKS}
    assert _verdicts(_values(reverse))[claims.CLAIMS[3].title] == "not reproduced"


def test_a_bandit_behaviour_bound_within_the_noise_is_undecided():
    """eq. 3 is a mean over K episodes: with the bound inside final ± 2 standard errors the
    task is neither shown to behave like Opt nor shown not to."""
    bandit = "bernoulli_bandit_beta_1_1"

    def claim_1(values):
        _, _, verdict, rows = claims.evaluate(values, _distances(), (1,))[0]
        return verdict, dict((task, holds) for task, holds, _ in rows)[bandit]

    noisy = _values({(bandit, "behaviour_se", "final"): 0.05})  # final eq. 3 0.02 ± 0.1
    assert claim_1(noisy) == ("mixed", None)
    assert claims.verdict([None, None]) == "undecided"
    quiet = _values({(bandit, "behaviour_se", "final"): 0.01})  # 0.02 ± 0.02
    assert claim_1(quiet) == ("reproduced", True)
    far = _values(
        {
            (bandit, "behaviour", "init"): 10.0,
            (bandit, "behaviour", "final"): 0.3,
            (bandit, "behaviour_se", "final"): 0.01,
        }
    )
    assert claim_1(far) == ("mixed", False)  # 0.3 ± 0.02: clearly above the bound
    text = claims.claims_markdown(noisy, _tables()[1], _distances())
    assert "| `bernoulli_bandit_beta_1_1` | undecided (within noise) |" in text


def test_a_ratio_of_noise_level_d_o_is_not_clearly_higher():
    """Opt → RNN 4 × RNN → Opt passes only when the gap is beyond the standard errors."""
    title = claims.CLAIMS[3].title
    noise = {
        (task, f"{direction}_d_o_se", "final"): 0.05
        for task in TASKS
        for direction in ("rnn_to_opt", "opt_to_rnn")
    }  # final D_o 0.02–0.06 vs 0.08–0.24: gaps of 0.8–2.5 standard errors, median 1.7
    assert _verdicts(_values(noise))[title] == "not reproduced"
    assert _verdicts(_values())[title] == "reproduced"


def test_the_convergence_claim_needs_every_run_five_times_closer():
    one_run = _distances({("bernoulli_beta_1_1", 2): claims.CONVERGED * 1.01})
    assert _verdicts(_values(), one_run)[CONVERGE] == "mixed"
    at_bound = _distances({(task, 0): claims.CONVERGED for task in TASKS})
    assert _verdicts(_values(), at_bound)[CONVERGE] == "reproduced"
    none = _distances({(task, 1): 0.9 for task in TASKS})
    _, claim, verdict, rows = claims.evaluate(_values(), none)[-1]
    assert verdict == "not reproduced"
    assert "largest final/init 0.9 (3 runs)" in rows[0][2]


def test_the_reservoir_claim_concerns_bandits_only():
    number, claim, verdict, rows = claims.evaluate(_values(), _distances())[5]
    assert number == 6
    assert claim.kinds == ("bandit",)
    assert [task for task, _, _ in rows] == ["bernoulli_bandit_beta_1_1"]
    assert claims.verdict([]) == "not tested"


def test_claims_markdown_lists_every_claim_with_numbers():
    behaviour, structure = _tables()
    text = claims.claims_markdown(_values(), structure, _distances())
    assert text.count("\n## ") == len(claims.CLAIMS) + 2
    assert "**reproduced**" in text and "| `bernoulli_beta_1_1` |" in text
    # Every row of the summary table has the table's 6 columns (no stray "|" in a cell).
    summary = [line for line in text.splitlines() if re.match(r"\| \d+ \|", line)]
    assert len(summary) == len(claims.CLAIMS)
    assert all(line.count("|") == 7 for line in summary)
    assert "0.9" in text  # explained variance section
    assert "(robustness.md)" in text


def test_figures_are_written(tmp_path):
    figures.save(figures.plot_fig4(_fig7()), tmp_path / "fig4.png")
    assert (tmp_path / "fig4.png").stat().st_size > 10_000


def test_output_colours():
    rgb = figures.output_colours(np.array([[1.0, 0.0, 0.0], [0.2, 0.3, 0.5]]))
    np.testing.assert_allclose(rgb[:, :3], [[1, 0, 0], [0.2, 0.3, 0.5]])
    two = figures.output_colours(np.array([[1.0, 0.0], [0.0, 1.0]]))
    assert two[0, 0] < two[1, 0]  # P(arm 1) = 0 blue, 1 red
