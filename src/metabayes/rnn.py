"""The RNN meta-learner of paper §3.1: encoder → LSTM memory → decoder → linear readout."""

from __future__ import annotations

import math

import torch
from torch import nn

from metabayes.catalogue import INITS

TRUNCATION = 2.0
"""Haiku's truncated normal is cut at ±2 standard deviations of the untruncated normal."""


class MetaLearner(nn.Module):
    """Linear(in, N) + ReLU → LSTM(N, N) → Linear(N, N) + ReLU → Linear(N, n_outputs).

    The memory state is the pair (c, h) of the LSTM, concatenated as (c, h) of dimension
    2N when exposed as the agent's state; it starts at zero. With ``value_head`` a second
    linear readout from the decoder gives a state-value estimate (bandit tasks).
    """

    def __init__(self, input_dim: int, hidden_size: int, n_outputs: int, value_head: bool = False):
        super().__init__()
        self.hidden_size = hidden_size
        self.encoder = nn.Linear(input_dim, hidden_size)
        self.lstm = nn.LSTM(hidden_size, hidden_size, batch_first=True)
        self.decoder = nn.Linear(hidden_size, hidden_size)
        self.readout = nn.Linear(hidden_size, n_outputs)
        self.value = nn.Linear(hidden_size, 1) if value_head else None

    def forward(
        self, inputs: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None, tuple[torch.Tensor, torch.Tensor]]:
        """Unroll over a batch of sequences.

        Args:
            inputs: shape (B, T, input_dim).
            state: LSTM (h, c), each (1, B, N); zeros when omitted.

        Returns:
            readout (B, T, n_outputs), value (B, T) or None, and the final (h, c).
        """
        hidden, state = self.lstm(torch.relu(self.encoder(inputs)), state)
        return *self.emit(hidden), state

    def step(
        self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None, tuple[torch.Tensor, torch.Tensor]]:
        """One step for a batch, as :meth:`forward` on sequences of length 1.

        The LSTM cell is written out with the LSTM's own parameters (gate order i, f, g, o
        as in ``torch.nn.LSTM``), which is faster than calling ``nn.LSTM`` on length-1
        sequences. Agents use it to play step by step (:class:`metabayes.agents.RNNAgent`);
        training plays through :mod:`metabayes.stack` instead.

        Args:
            x: inputs, shape (B, input_dim).
            state: (h, c), each (B, N); zeros when omitted.

        Returns:
            readout (B, n_outputs), value (B,) or None, and the new (h, c).
        """
        encoded = torch.relu(self.encoder(x))
        if state is None:
            zeros = encoded.new_zeros(len(x), self.hidden_size)
            state = (zeros, zeros)
        h, c = state
        lstm = self.lstm
        gates = (
            encoded @ lstm.weight_ih_l0.T
            + lstm.bias_ih_l0
            + h @ lstm.weight_hh_l0.T
            + lstm.bias_hh_l0
        )
        i, f, g, o = gates.chunk(4, dim=-1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        return *self.emit(h), (h, c)

    def emit(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The output function: readout (and value, or None) of LSTM hidden states (..., N)."""
        features = torch.relu(self.decoder(h))
        value = self.value(features).squeeze(-1) if self.value is not None else None
        return self.readout(features), value

    def state_dim(self) -> int:
        return 2 * self.hidden_size


def initialise(net: MetaLearner, scheme: str) -> MetaLearner:
    """Re-draw the parameters of ``net`` in place by ``scheme``; returns ``net``.

    - ``torch``: PyTorch's defaults, drawn when the modules are built: every weight and bias
      uniform in ±1/√fan_in (``nn.Linear``; ``nn.LSTM`` with fan_in = N), no forget bias.
    - ``haiku``: the defaults of the DeepMind stack the paper's agents come from
      (``hk.Linear``: weights s·z with z a standard normal truncated to [−2, 2] and
      s = 1/√fan_in, biases 0; ``hk.LSTM``: one linear map of the concatenated [x, h], so
      fan_in = input size + N, and a forget-gate bias of +1 added before the sigmoid). The +1
      is set here as the initial forget-gate bias, which trains identically: the gradient of
      a constant offset is that of the bias it is added to.

    Draws from torch's global generator: call inside :func:`metabayes.rng.seeded_torch`.
    """
    if scheme == "torch":
        return net
    if scheme != "haiku":
        raise ValueError(f"unknown initialisation {scheme!r}; known: {', '.join(INITS)}")
    with torch.no_grad():
        for linear in (net.encoder, net.decoder, net.readout, net.value):
            if linear is not None:
                _truncated_normal(linear.weight, linear.in_features)
                linear.bias.zero_()
        lstm, N = net.lstm, net.hidden_size
        for weight in (lstm.weight_ih_l0, lstm.weight_hh_l0):
            _truncated_normal(weight, lstm.input_size + N)
        lstm.bias_ih_l0.zero_()
        lstm.bias_hh_l0.zero_()
        lstm.bias_ih_l0[N : 2 * N] = 1.0  # gate order i, f, g, o: the forget gate
    return net


def _truncated_normal(weight: torch.Tensor, fan_in: int) -> None:
    s = 1.0 / math.sqrt(fan_in)
    nn.init.trunc_normal_(weight, std=s, a=-TRUNCATION * s, b=TRUNCATION * s)
