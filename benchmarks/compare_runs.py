"""Compare two runs' results file by file: which files differ, and for HDF5 files, where.

For a change that must not change behaviour (a refactor), run one config twice, before and
after, from copies of the tree outside git (so that both record the same code version), and
compare:

    git archive HEAD | tar -x -C /tmp/before        # and the changed tree in /tmp/after
    (cd /tmp/before && PYTHONPATH=src snakemake --cores 2 --configfile presets/tiny.yaml)
    python benchmarks/compare_runs.py /tmp/before/results /tmp/after/results

Files are compared by the runs' manifests (SHA-256, ``results/manifest.sha256``); for each
HDF5 file that differs, every dataset is compared by value and every attribute by its text
(a JSON attribute also parsed, so that a difference of key order alone shows as such).
Exit status 0 if every file is identical.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import h5py
import numpy as np


def manifest(root: Path) -> dict[str, str]:
    lines = (root / "manifest.sha256").read_text().splitlines()
    return {path: digest for digest, path in (line.split(maxsplit=1) for line in lines)}


def hdf5_differences(first: Path, second: Path) -> list[str]:
    """Where two HDF5 files differ: datasets by value, attributes by text."""
    found = []
    with h5py.File(first) as a, h5py.File(second) as b:

        def attrs(name: str, x, y) -> None:
            for key in sorted(set(x.attrs) | set(y.attrs)):
                if key == "sha256":  # the file's digest differs whenever anything does
                    continue
                u, v = x.attrs.get(key), y.attrs.get(key)
                if str(u) != str(v):
                    found.append(f"{name} attribute {key}: {_json_difference(u, v)}")

        def walk(name: str, x, y) -> None:
            attrs(name or "/", x, y)
            for key in sorted(set(x) | set(y)):
                path = f"{name}/{key}"
                if key not in x or key not in y:
                    found.append(f"{path}: only in one file")
                elif isinstance(x[key], h5py.Dataset):
                    if not np.array_equal(x[key][()], y[key][()], equal_nan=True):
                        found.append(f"{path}: values differ")
                    attrs(path, x[key], y[key])
                else:
                    walk(path, x[key], y[key])

        walk("", a, b)
    return found


def _json_difference(u, v) -> str:
    try:
        if json.loads(u) == json.loads(v):
            return "same JSON content, another key order"
    except (TypeError, ValueError):
        pass
    return f"{u!r} vs {v!r}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("first", type=Path, help="results folder of one run")
    parser.add_argument("second", type=Path, help="results folder of the other")
    args = parser.parse_args()
    a, b = manifest(args.first), manifest(args.second)
    for path in sorted(set(a) ^ set(b)):
        print(f"{path}: only in {'first' if path in a else 'second'}")
    differing = sorted(path for path in set(a) & set(b) if a[path] != b[path])
    for path in differing:
        print(f"{path}: differs")
        if path.endswith(".h5"):
            relative = Path(path).relative_to("results")
            for line in hdf5_differences(args.first / relative, args.second / relative):
                print(f"    {line}")
    same = len(set(a) & set(b)) - len(differing)
    print(f"{same} of {len(set(a) | set(b))} files identical")
    return 0 if same == len(set(a) | set(b)) else 1


if __name__ == "__main__":
    sys.exit(main())
