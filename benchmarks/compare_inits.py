"""Final behaviour and the init-dependent claims under two initialisations of the meta-learner.

Given the results folders of two runs that differ only in ``prediction.init`` /
``bandit.init`` (e.g. one with the default ``torch`` and one with ``haiku``), prints per task
the final and untrained eq. 2 / eq. 3 of every seed under each, and the verdicts of the claims
that read the untrained network (2, 5, 6) and of claim 1, on the tasks and seeds both have.

    .venv/bin/python benchmarks/compare_inits.py torch=results haiku=../haiku/results
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from metabayes.analysis import claims
from metabayes.analysis.summary import per_seed_values

CLAIMS = (1, 2, 5, 6)
NO_CONVERGENCE = pd.DataFrame(columns=["task", "seed", "checkpoint", "distance_to_opt"])


def read(folder: Path, kind: str) -> pd.DataFrame:
    paths = sorted((folder / kind).glob("*/seed*.csv"))
    return pd.concat([pd.read_csv(p) for p in paths], ignore_index=True)


def only(table: pd.DataFrame, runs: set) -> pd.DataFrame:
    """The rows of the given (task, seed) runs."""
    return table[[run in runs for run in zip(table.task, table.seed, strict=True)]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs=2, metavar="NAME=RESULTS", help="two results folders")
    args = parser.parse_args()
    runs = dict(run.split("=", 1) for run in args.runs)
    tables = {
        name: (read(Path(p), "behaviour"), read(Path(p), "structure")) for name, p in runs.items()
    }
    common = set.intersection(*(set(zip(s.task, s.seed, strict=True)) for _, s in tables.values()))
    values = {
        name: per_seed_values(only(behaviour, common), only(structure, common))
        for name, (behaviour, structure) in tables.items()
    }

    print("final and untrained behaviour (eq. 2 nats / eq. 3 reward per episode), per seed")
    for task in sorted({t for t, _ in common}):
        cells = []
        for name, v in values.items():
            rows = v[(v.task == task) & (v.column == "behaviour")]
            final = rows[rows.checkpoint == "final"].sort_values("seed").value
            init = rows[rows.checkpoint == "init"].sort_values("seed").value
            cells.append(
                f"{name}: final {' '.join(f'{x:.3g}' for x in final)}"
                f" (init {' '.join(f'{x:.3g}' for x in init)})"
            )
        print(f"  {task:34s} " + " | ".join(cells))
    print()
    for name, v in values.items():
        print(f"claims with {name} initialisation:")
        for number, claim, verdict, rows in claims.evaluate(v, NO_CONVERGENCE, CLAIMS):
            held = sum(h for _, h, _ in rows)
            print(f"  {number}. {claim.title}: {verdict} ({held}/{len(rows)})")
            for task, holds, text in rows:
                print(f"       {task:34s} {'yes' if holds else 'no ':3s} {text}")


if __name__ == "__main__":
    main()
