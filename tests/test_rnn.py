"""The meta-learner's initialisation schemes, checked by statistics of freshly built networks."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from scipy import stats

from metabayes.rng import seeded_torch
from metabayes.rnn import MetaLearner, initialise
from metabayes.training.prediction import train_predictor
from tests.conftest import TINY_SETTINGS

N = 256


def _network(scheme: str, seed: int = 0) -> MetaLearner:
    with seeded_torch(seed, "init"):
        return initialise(MetaLearner(3, N, 2, value_head=True), scheme)


def _weights(net: MetaLearner) -> dict[str, tuple[torch.Tensor, int]]:
    """Every weight matrix with the fan-in Haiku would give it."""
    lstm = net.lstm
    return {
        "encoder": (net.encoder.weight, 3),
        "weight_ih": (lstm.weight_ih_l0, 2 * N),  # hk.LSTM: one Linear on [x, h]
        "weight_hh": (lstm.weight_hh_l0, 2 * N),
        "decoder": (net.decoder.weight, N),
        "readout": (net.readout.weight, N),
        "value": (net.value.weight, N),
    }


def test_haiku_weights_are_truncated_normal_with_sd_one_over_root_fan_in():
    net = _network("haiku")
    truncated_sd = stats.truncnorm.std(-2, 2)  # 0.8796: Haiku scales the unit truncated normal
    for name, (weight, fan_in) in _weights(net).items():
        s = 1 / math.sqrt(fan_in)
        w = weight.detach().double().numpy().ravel()
        assert np.abs(w).max() <= 2 * s + 1e-7, name
        if w.size >= 1000:  # enough draws for the moments and the shape
            assert abs(w.std() / (truncated_sd * s) - 1) < 0.05, name
            assert abs(w.mean()) < 0.05 * s, name
            assert stats.kstest(w / s, stats.truncnorm(-2, 2).cdf).pvalue > 1e-3, name


def test_haiku_biases_are_zero_but_the_forget_gate():
    net = _network("haiku")
    for linear in (net.encoder, net.decoder, net.readout, net.value):
        assert torch.count_nonzero(linear.bias) == 0
    i, f, g, o = net.lstm.bias_ih_l0.detach().chunk(4)
    assert torch.all(f == 1) and torch.count_nonzero(torch.cat([i, g, o])) == 0
    assert torch.count_nonzero(net.lstm.bias_hh_l0) == 0
    # The effective forget bias (both of torch's bias vectors) is +1, as hk.LSTM's f + 1.
    step_bias = (net.lstm.bias_ih_l0 + net.lstm.bias_hh_l0).detach().chunk(4)[1]
    assert torch.all(step_bias == 1)


def test_torch_scheme_keeps_pytorchs_uniform_defaults():
    net = _network("torch")
    bound = 1 / math.sqrt(N)
    for tensor in (net.lstm.weight_hh_l0, net.lstm.bias_ih_l0, net.decoder.weight):
        t = tensor.detach().double().numpy().ravel()
        assert np.abs(t).max() <= bound
        assert abs(t.std() / (bound / math.sqrt(3)) - 1) < 0.1  # uniform in ±bound
    assert torch.count_nonzero(net.lstm.bias_hh_l0) > 0


def test_schemes_differ_and_each_is_a_function_of_the_seed():
    for scheme in ("torch", "haiku"):
        a, b = _network(scheme, 3), _network(scheme, 3)
        for (name, x), y in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
            assert torch.equal(x, y), (scheme, name)
    assert not torch.equal(_network("torch").decoder.weight, _network("haiku").decoder.weight)


def test_unknown_scheme_is_refused():
    with pytest.raises(ValueError, match="unknown initialisation 'xavier'"):
        initialise(MetaLearner(3, 4, 2), "xavier")


def test_training_starts_from_the_chosen_initialisation():
    from metabayes.tasks import PREDICTION_TASKS

    task = PREDICTION_TASKS["bernoulli_beta_1_1"]
    checkpoints, _ = train_predictor(task, replace(TINY_SETTINGS, init="haiku"), seed=0)
    forget = checkpoints.states[0]["lstm.bias_ih_l0"].chunk(4)[1]
    assert torch.all(forget == 1)
    assert checkpoints.settings["init"] == "haiku"
