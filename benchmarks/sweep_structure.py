"""D_s and D_o of existing runs under other settings of the embedding ϕ, and their cost.

Reads the workflow's traces and checkpoints (``results/``) and reruns the structural
comparison with each combination of the given settings, printing the final (or init)
checkpoint's scores in both directions and the wall time per run. Used to check that the
defaults in ``config.yaml`` (block ``structure``) are converged: wider networks, more
patience or another learning rate should not lower D_s and D_o much.

    python benchmarks/sweep_structure.py categorical_dir_1_1_1 exponential_gamma_1_1 \\
        --seeds 0 --hidden 64 256 --patience 20 50 --lr 1e-3
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd

from metabayes import pipeline
from metabayes.config import load_config
from metabayes.kinds import kind_of
from metabayes.settings import Settings, StructureSettings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="+")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--hidden", type=int, nargs="+", help="units of ϕ (default: config)")
    parser.add_argument("--patience", type=int, nargs="+")
    parser.add_argument("--lr", type=float, nargs="+")
    parser.add_argument("--checkpoint", default="final", choices=["init", "final"])
    parser.add_argument("--results", default="results")
    parser.add_argument("--config", default="config.yaml")
    args = parser.parse_args()
    config = load_config([args.config])
    results = Path(args.results)
    for task in args.tasks:
        base = Settings.from_config(config).structure[kind_of(task).name]
        grid = itertools.product(
            args.hidden or [base.embedding.hidden_size],
            args.patience or [base.embedding.patience],
            args.lr or [base.embedding.learning_rate],
        )
        for hidden, patience, lr in grid:
            embedding = replace(
                base.embedding, hidden_size=hidden, patience=patience, learning_rate=lr
            )
            settings = replace(base, embedding=embedding)
            for seed in args.seeds:
                table, seconds = _run(task, seed, settings, results)
                row = table[table.checkpoint == args.checkpoint]
                scores = "  ".join(
                    f"{d} D_s {r.d_s:.4g} D_o {r.d_o:.4g} ({r.epochs} ep)"
                    for d, r in row.set_index("direction").iterrows()
                )
                print(
                    f"{task:34s} seed {seed} hidden {hidden:4d} patience {patience:3d} "
                    f"lr {lr:.0e} {args.checkpoint}: {scores}  {seconds:.1f} s",
                    flush=True,
                )


def _run(
    task: str, seed: int, settings: StructureSettings, results: Path
) -> tuple[pd.DataFrame, float]:
    tables = results / "gittins" / f"{task}.h5" if kind_of(task).uses_tables else None
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        pipeline.compare_structure(
            task,
            settings,
            [settings.variant],
            results / "traces" / task / f"seed{seed}.h5",
            results / "models" / task / f"seed{seed}" / "checkpoints.pt",
            tables,
            Path(tmp) / "s.csv",
            Path(tmp) / "s.h5",
        )
        seconds = time.perf_counter() - start
        table = pd.read_csv(Path(tmp) / "s.csv")
    return table, seconds


if __name__ == "__main__":
    main()
