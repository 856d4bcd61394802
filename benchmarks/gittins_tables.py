"""Time the Gittins tables and print their accuracy and truncation numbers (run on demand).

    python benchmarks/gittins_tables.py                 # γ = 0.9, the bandit tasks' discount
    python benchmarks/gittins_tables.py --gamma 0.95 --n-max 20

Bernoulli: one table for Beta(a0, b0) over s + f ≤ n_max; the change from doubling the cut
depth; the a-priori truncation bound; the smallest gap between two distinct entries (a coarse
tolerance would show up as false ties). Agreement with a plain scalar bisection is checked in
tests/test_gittins.py.
Gaussian: ν(0, n) on the two bandit tasks' grids n = σ²/s0² + k, k = 0 … 20; the change from
a finer grid and from a deeper cut.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from metabayes.bandits.gittins import (
    bernoulli_gittins_table,
    bernoulli_horizon,
    gaussian_gittins_nu,
    gaussian_horizon,
)


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def bernoulli_report(a0: float, b0: float, gamma: float, n_max: int) -> None:
    horizon = bernoulli_horizon(a0, b0, gamma, 5e-10)
    table, seconds = timed(bernoulli_gittins_table, a0, b0, gamma, n_max)
    print(f"Bernoulli Beta({a0:g}, {b0:g}), γ = {gamma}, n_max = {n_max}, H = {horizon}")
    print(f"  wall time of one table ({np.isfinite(table).sum()} states): {seconds:.2f} s")
    print(f"  ν(a0, b0) = {table[0, 0]:.10f}")
    deep, seconds = timed(bernoulli_gittins_table, a0, b0, gamma, n_max, horizon=2 * horizon)
    print(f"  max |table(2H) − table(H)| = {np.nanmax(np.abs(deep - table)):.2e} ({seconds:.2f} s)")
    half = bernoulli_gittins_table(a0, b0, gamma, n_max, horizon=horizon // 2)
    print(f"  max |table(H) − table(H/2)| = {np.nanmax(np.abs(table - half)):.2e}")
    bound = gamma**horizon / (4 * (1 - gamma) * np.sqrt(a0 + b0 + horizon + 1))
    print(f"  a-priori truncation bound at H: {bound:.2e} (plus ≤ 5e-10 from the iteration)")
    values = np.sort(table[np.isfinite(table)])
    gaps = np.diff(values)
    print(
        f"  smallest gap between entries: {gaps.min():.2e}; pairs closer than 1e-6: "
        f"{(gaps < 1e-6).sum()}"
    )


def gaussian_report(gamma: float, reference_knots: int) -> None:
    print(f"Gaussian ν(0, n), γ = {gamma}, n = n0 + k, k = 0 … 20, n0 ∈ {{1, 0.25}}")
    n = np.concatenate([1.0 + np.arange(21), 0.25 + np.arange(21)])
    horizon = gaussian_horizon(0.25, gamma, 5e-10)
    nu, seconds = timed(gaussian_gittins_nu, n, gamma)
    print(f"  wall time of 42 values (2 sweeps of {20 + 1 + horizon} levels): {seconds:.2f} s")
    print(f"  ν(0, 1) = {nu[0]:.10f}, ν(0, 21) = {nu[20]:.10f}, ν(0, 0.25) = {nu[21]:.10f}")
    table_form = n[:10] * np.sqrt(1 - gamma) * nu[:10]  # as in GGW (2011) Table 8.1
    print("  n·√(1−γ)·ν(0, n) for n = 1 … 10: " + " ".join(f"{x:.5f}" for x in table_form))
    fine, seconds = timed(gaussian_gittins_nu, n, gamma, n_knots=reference_knots)
    print(
        f"  max |ν(96 knots) − ν({reference_knots} knots)| = {np.max(np.abs(nu - fine)):.2e} "
        f"({seconds:.2f} s)"
    )
    for knots in (48, 64, 128):
        other, seconds = timed(gaussian_gittins_nu, n, gamma, n_knots=knots)
        print(
            f"    {knots:4d} knots: max error {np.max(np.abs(other - fine)):.2e}, {seconds:.2f} s"
        )
    deep = gaussian_gittins_nu(n, gamma, horizon=2 * horizon)
    print(f"  max |ν(2H) − ν(H)| = {np.max(np.abs(deep - nu)):.2e} (H = {horizon})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gamma", type=float, default=0.9)
    parser.add_argument("--n-max", type=int, default=40)
    parser.add_argument("--reference-knots", type=int, default=256)
    args = parser.parse_args()
    bernoulli_report(1.0, 1.0, args.gamma, args.n_max)
    bernoulli_report(3.0, 3.0, args.gamma, 20)
    gaussian_report(args.gamma, args.reference_knots)


if __name__ == "__main__":
    main()
