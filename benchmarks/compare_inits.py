"""Final behaviour and the init-dependent claims under two initialisations of the meta-learner.

Given the results folders of two runs that differ only in ``prediction.init`` /
``bandit.init`` (e.g. one with the default ``torch`` and one with ``haiku``), prints per task
the final and untrained eq. 2 / eq. 3 of every seed under each, and the verdicts of the claims
that read the untrained network (2, 5, 6) and of claim 1, on the tasks both have, each with
the runs (seeds) that have a structure table; seeds need not be paired.

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
    """The per-run tables of a kind; for structure, the robustness tables' main analysis
    (variant 0, the same numbers) where a run has no structure table."""
    tables = {
        p.relative_to(folder / kind): pd.read_csv(p) for p in (folder / kind).glob("*/seed*.csv")
    }
    if kind == "structure":
        for path in (folder / "robustness").glob("*/seed*.csv"):
            if path.relative_to(folder / "robustness") not in tables:
                table = pd.read_csv(path)
                tables[path] = table[table.variant == 0].drop(columns="variant")
    return pd.concat(tables.values(), ignore_index=True)


def values_of(folder: Path, tasks: set[str]) -> pd.DataFrame:
    """Per-seed values of the runs of ``tasks`` that have both tables."""
    behaviour, structure = read(folder, "behaviour"), read(folder, "structure")
    structure = structure[structure.task.isin(tasks)]
    runs = set(zip(structure.task, structure.seed, strict=True))
    behaviour = behaviour[[run in runs for run in zip(behaviour.task, behaviour.seed, strict=True)]]
    return per_seed_values(behaviour, structure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs=2, metavar="NAME=RESULTS", help="two results folders")
    args = parser.parse_args()
    folders = {name: Path(path) for name, path in (run.split("=", 1) for run in args.runs)}
    tasks = set.intersection(*(set(read(f, "structure").task) for f in folders.values()))
    values = {name: values_of(folder, tasks) for name, folder in folders.items()}

    print("untrained → final behaviour (eq. 2 nats / eq. 3 reward per episode), per seed")
    for task in sorted(tasks):
        cells = []
        for name, v in values.items():
            rows = v[(v.task == task) & (v.column == "behaviour")].sort_values("seed")
            init, final = (rows[rows.checkpoint == c] for c in ("init", "final"))
            runs = ", ".join(
                f"seed {s}: {i:.3g} → {f:.3g}"
                for s, i, f in zip(final.seed, init.value, final.value, strict=True)
            )
            cells.append(f"{name} {runs}")
        print(f"  {task:34s} " + " | ".join(cells))
    print()
    for name, v in values.items():
        print(f"claims with the {name} initialisation:")
        for number, claim, verdict, rows in claims.evaluate(v, NO_CONVERGENCE, CLAIMS):
            held = sum(h is True for _, h, _ in rows)
            print(f"  {number}. {claim.title}: {verdict} ({held}/{len(rows)})")
            for task, holds, text in rows:
                print(f"       {task:34s} {claims.yes_no(holds)}: {text}")


if __name__ == "__main__":
    main()
