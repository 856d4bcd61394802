"""Coordinates of the Bayes-optimal agent's state for the structural analysis.

Opt's state is its sufficient statistics, e.g. (n, Σx) for exponential observations. Any
bijection of them is an equally valid Bayes state, but principal components, whitening and
the mean squared error of ϕ are not invariant under such maps: under a Gamma(1, 1) prior Σx
is a sum of Lomax(1, 1) draws with infinite variance, so a few episodes set its whitening
scale. The paper does not say in which coordinates it whitened (§4.3), so the choice is a
setting (``structure.opt_coordinates``):

- ``statistics``: the raw sufficient statistics (counts, sums);
- ``posterior``: the posterior's parameters, logged where positive, the mean in natural units
  (:meth:`metabayes.conjugate.ConjugateModel.posterior_coordinates`).

A bandit's state is the statistics of each arm in turn, so its coordinates are those of each
arm's conjugate model (:attr:`metabayes.tasks.bandit.BanditTask.arm_models`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from metabayes.analysis.structure import Machine
from metabayes.catalogue import OPT_COORDINATES
from metabayes.conjugate import ConjugateModel


@dataclass(frozen=True)
class Coordinates:
    """A bijection of a Bayes state laid out as the statistics of ``models`` in turn."""

    name: str  # one of OPT_COORDINATES
    models: tuple[ConjugateModel, ...]

    def __post_init__(self):
        if self.name not in OPT_COORDINATES:
            raise ValueError(
                f"unknown coordinates {self.name!r}; known: {', '.join(OPT_COORDINATES)}"
            )

    def forward(self, stats: np.ndarray) -> np.ndarray:
        """Statistics (..., S) → coordinates (..., S)."""
        if self.name == "statistics":
            return np.asarray(stats, dtype=np.float64)
        return self._blockwise(stats, [m.posterior_coordinates for m in self.models])

    def inverse(self, coordinates: np.ndarray) -> np.ndarray:
        """Coordinates (..., S) → statistics (..., S); any real coordinates are accepted."""
        if self.name == "statistics":
            return np.asarray(coordinates, dtype=np.float64)
        return self._blockwise(coordinates, [m.statistics_from_posterior for m in self.models])

    def names(self) -> tuple[str, ...]:
        attribute = "stats_names" if self.name == "statistics" else "posterior_names"
        return tuple(name for m in self.models for name in getattr(m, attribute))

    def _blockwise(self, x: np.ndarray, maps: Sequence) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        bounds = np.cumsum([0] + [m.stats_dim for m in self.models])
        if x.shape[-1] != bounds[-1]:
            raise ValueError(f"state of dimension {x.shape[-1]}, expected {bounds[-1]}")
        blocks = [f(x[..., a:b]) for f, a, b in zip(maps, bounds[:-1], bounds[1:], strict=True)]
        return np.concatenate(blocks, axis=-1)


def in_coordinates(machine: Machine, coordinates: Coordinates) -> Machine:
    """The same machine with its states expressed in ``coordinates``: its outputs, and its
    output function on states mapped back to statistics, are unchanged."""
    return Machine(
        coordinates.forward(machine.states),
        machine.outputs,
        lambda states: machine.emit(coordinates.inverse(states)),
    )
