"""Prediction tasks: episodes of i.i.d. observations and the inputs both agents see.

At step t (1-based) the agent has seen x_1 … x_{t-1} and predicts x_t. Its input at step t is
the encoding of x_{t-1} followed by a "first step" flag, with zeros and flag 1 at t = 1
[SPEC §1 choice]. Arrays are indexed [episode, step] with step 0 holding t = 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from metabayes.conjugate import ConjugateModel


@dataclass(frozen=True)
class Episodes:
    """A batch of sampled episodes.

    Attributes:
        theta: task parameters, shape (K, theta_dim).
        observations: x_1 … x_T, shape (K, T).
        inputs: what the agents read at each step, shape (K, T, input_dim).
    """

    theta: np.ndarray
    observations: np.ndarray
    inputs: np.ndarray


@dataclass(frozen=True)
class PredictionTask:
    """Sequential prediction of i.i.d. observations drawn from a conjugate model."""

    name: str
    model: ConjugateModel

    kind = "prediction"

    @property
    def input_dim(self) -> int:
        return self.model.obs_dim + 1

    def sample(self, rng: np.random.Generator, n_episodes: int, T: int) -> Episodes:
        """Draw θ from the prior, T observations per episode, and the agents' inputs."""
        theta = self.model.sample_theta(rng, n_episodes)
        observations = self.model.sample_observations(rng, theta, T)
        return Episodes(theta, observations, self.inputs(observations))

    def inputs(self, observations: np.ndarray) -> np.ndarray:
        """Observations (K, T) → inputs (K, T, obs_dim + 1): x_{t-1} then the first-step flag."""
        encoded = self.model.encode(observations)
        K, T, D = encoded.shape
        inputs = np.zeros((K, T, D + 1))
        inputs[:, 1:, :D] = encoded[:, :-1]
        inputs[:, 0, D] = 1.0
        return inputs
