"""One interface for the learned and the Bayes-optimal agents, and rolling them out.

An agent is a state machine (paper eq. 1): ``initial_state(n)`` gives n zero or prior states
and ``step(state, inputs)`` consumes one input per episode, returning the output emitted in
the new state and that state. Outputs are predictive-distribution parameters (prediction
tasks) or action probabilities (bandits, :mod:`metabayes.bandits.agents`). The Bayes-optimal
agent's state is its sufficient statistics; the RNN's is (c, h).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import torch

from metabayes.conjugate import ConjugateModel
from metabayes.families import Family
from metabayes.rnn import MetaLearner


class Agent(Protocol):
    state_dim: int

    def initial_state(self, n: int) -> np.ndarray: ...

    def step(self, state: np.ndarray, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...


class BayesOptimalPredictor:
    """Exact posterior predictive of a conjugate model, with sufficient statistics as state.

    The input at each step is (encoded x_{t-1}, first-step flag); the statistic of x_{t-1}
    is added unless the flag is set.
    """

    def __init__(self, model: ConjugateModel):
        self.model = model
        self.state_dim = model.stats_dim

    def initial_state(self, n: int) -> np.ndarray:
        return np.zeros((n, self.state_dim))

    def step(self, state, inputs):
        encoded, first = inputs[:, :-1], inputs[:, -1:]
        state = state + (1 - first) * self.model.statistic(encoded)
        return self.model.predictive(state), state


class RNNAgent:
    """A :class:`MetaLearner` whose readout is mapped to outputs by a family.

    For prediction tasks the family is the task's predictive family; for bandits it is
    ``Categorical(2)``, whose parameters are the action probabilities (the value head, if
    any, is not part of the output).
    """

    def __init__(self, net: MetaLearner, family: Family):
        self.net = net
        self.family = family
        self.state_dim = net.state_dim()

    def initial_state(self, n: int) -> np.ndarray:
        return np.zeros((n, self.state_dim))

    @torch.no_grad()
    def step(self, state, inputs):
        N = self.net.hidden_size
        c = torch.as_tensor(state[:, :N], dtype=torch.float32)[None]
        h = torch.as_tensor(state[:, N:], dtype=torch.float32)[None]
        x = torch.as_tensor(inputs, dtype=torch.float32)[:, None]
        raw, _, (h, c) = self.net(x, (h.contiguous(), c.contiguous()))
        output = self.family.params(raw[:, 0].double()).numpy()
        return output, torch.cat([c[0], h[0]], dim=-1).double().numpy()


def rollout(agent: Agent, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Run an agent over inputs (K, T, D); returns outputs (K, T, P) and states (K, T, S).

    ``states[:, t]`` is the state after consuming ``inputs[:, t]``, and ``outputs[:, t]`` is
    the output emitted in that state.
    """
    state = agent.initial_state(len(inputs))
    outputs, states = [], []
    for t in range(inputs.shape[1]):
        output, state = agent.step(state, inputs[:, t])
        outputs.append(output)
        states.append(state)
    return np.stack(outputs, axis=1), np.stack(states, axis=1)
