"""V-trace (Espeholt et al. 2018, eq. (1)): hand-computed T = 3 examples and a double-loop
reference implementation of the sum over t ≥ s."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from metabayes.vtrace import log_importance_weights, vtrace_targets

# One shared T = 3 trajectory, γ = 0.9, for the hand-computed examples:
#   r = (1, 0, 2),  V(x_0..x_2) = (0.5, 1.0, -0.5),  V(x_3) = 2.
# Its one-step TD errors e_t = r_t + γ V(x_{t+1}) − V(x_t) are
#   e_0 = 1 + 0.9·1.0 − 0.5    =  1.4
#   e_1 = 0 + 0.9·(−0.5) − 1.0 = −1.45
#   e_2 = 2 + 0.9·2 − (−0.5)   =  4.3
GAMMA = 0.9
REWARDS = [1.0, 0.0, 2.0]
VALUES = [0.5, 1.0, -0.5]
BOOTSTRAP = 2.0


def _t(rows) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float64)


def _example(log_rhos=(0.0, 0.0, 0.0), discounts=(GAMMA, GAMMA, GAMMA)) -> dict:
    """The shared trajectory as a batch of one, (1, 3) tensors."""
    return dict(
        values_t=_t([VALUES]),
        bootstrap_value=_t([BOOTSTRAP]),
        rewards_t=_t([REWARDS]),
        discounts_t=_t([list(discounts)]),
        log_rhos_t=_t([list(log_rhos)]),
    )


def test_on_policy_is_the_bootstrapped_discounted_return():
    out = vtrace_targets(**_example())
    # ρ_t = c_t = 1, so the sum telescopes to the return bootstrapped from V(x_3) = 2:
    #   v_2 = 2 + 0.9·2     = 3.8
    #   v_1 = 0 + 0.9·3.8   = 3.42
    #   v_0 = 1 + 0.9·3.42  = 4.078
    assert_close(out.vs, _t([[4.078, 3.42, 3.8]]))
    # A_t = r_t + γ v_{t+1} − V(x_t), with v_3 = V(x_3) = 2:
    #   A_0 = 1 + 0.9·3.42 − 0.5  = 3.578
    #   A_1 = 0 + 0.9·3.8 − 1.0   = 2.42
    #   A_2 = 2 + 0.9·2 + 0.5     = 4.3
    assert_close(out.pg_advantages, _t([[3.578, 2.42, 4.3]]))


def test_on_policy_targets_do_not_depend_on_the_values():
    example = _example()
    example["values_t"] = _t([[-3.0, 7.0, 0.25]])
    assert_close(vtrace_targets(**example).vs, _t([[4.078, 3.42, 3.8]]))


def test_episode_end_cuts_the_return():
    # The episode ends with step 1 (γ_1 = 0) and a new one starts at step 2:
    #   v_2 = 2 + 0.9·2    = 3.8
    #   v_1 = 0 + 0·3.8    = 0
    #   v_0 = 1 + 0.9·0    = 1
    #   A_0 = 1 + 0.9·0 − 0.5 = 0.5,  A_1 = 0 + 0 − 1.0 = −1,  A_2 = 4.3
    out = vtrace_targets(**_example(discounts=(GAMMA, 0.0, GAMMA)))
    assert_close(out.vs, _t([[1.0, 0.0, 3.8]]))
    assert_close(out.pg_advantages, _t([[0.5, -1.0, 4.3]]))


def test_bandit_episode_ignores_the_bootstrap_value(rng):
    # A whole 20-step bandit episode: γ_{T−1} = 0, so V(x_T) cannot matter.
    b, t = 4, 20
    discounts = np.full((b, t), GAMMA)
    discounts[:, -1] = 0.0
    common = dict(
        values_t=_t(rng.normal(size=(b, t))),
        rewards_t=_t(rng.normal(size=(b, t))),
        discounts_t=_t(discounts),
        log_rhos_t=_t(rng.normal(size=(b, t))),
    )
    out_zero = vtrace_targets(bootstrap_value=torch.zeros(b, dtype=torch.float64), **common)
    out_rand = vtrace_targets(bootstrap_value=_t(rng.normal(size=b)), **common)
    assert_close(out_zero.vs, out_rand.vs)
    assert_close(out_zero.pg_advantages, out_rand.pg_advantages)


# π/μ = (2, 0.5, 1.25): above, below and between the thresholds ρ̄ = 1.5, c̄ = 1, ρ̄_pg = 1.2.
RHOS = (2.0, 0.5, 1.25)
LOG_RHOS = tuple(math.log(r) for r in RHOS)


def test_off_policy_with_truncation():
    out = vtrace_targets(
        **_example(log_rhos=LOG_RHOS),
        clip_rho_threshold=1.5,
        clip_c_threshold=1.0,
        clip_pg_rho_threshold=1.2,
    )
    # ρ = min(1.5, π/μ) = (1.5, 0.5, 1.25); c = min(1, π/μ) = (1, 0.5, 1); ρ_pg = (1.2, 0.5, 1.2).
    # δ_t = ρ_t e_t: δ_0 = 1.5·1.4 = 2.1,  δ_1 = 0.5·(−1.45) = −0.725,  δ_2 = 1.25·4.3 = 5.375.
    # v_s − V(x_s) backwards:
    #   d_2 = 5.375
    #   d_1 = −0.725 + 0.9·0.5·5.375 = −0.725 + 2.41875 = 1.69375
    #   d_0 = 2.1 + 0.9·1·1.69375    = 2.1 + 1.524375   = 3.624375
    # v = V + d = (0.5 + 3.624375, 1.0 + 1.69375, −0.5 + 5.375) = (4.124375, 2.69375, 4.875).
    assert_close(out.vs, _t([[4.124375, 2.69375, 4.875]]))
    # A_t = ρ_pg,t (r_t + γ v_{t+1} − V(x_t)):
    #   A_0 = 1.2·(1 + 0.9·2.69375 − 0.5) = 1.2·2.924375 = 3.50925
    #   A_1 = 0.5·(0 + 0.9·4.875 − 1.0)   = 0.5·3.3875   = 1.69375
    #   A_2 = 1.2·(2 + 0.9·2 + 0.5)       = 1.2·4.3      = 5.16
    assert_close(out.pg_advantages, _t([[3.50925, 1.69375, 5.16]]))


def test_off_policy_without_truncation():
    out = vtrace_targets(
        **_example(log_rhos=LOG_RHOS),
        clip_rho_threshold=None,
        clip_c_threshold=None,
        clip_pg_rho_threshold=None,
    )
    # ρ = c = ρ_pg = (2, 0.5, 1.25); δ = (2·1.4, 0.5·(−1.45), 1.25·4.3) = (2.8, −0.725, 5.375).
    #   d_2 = 5.375
    #   d_1 = −0.725 + 0.9·0.5·5.375 = 1.69375
    #   d_0 = 2.8 + 0.9·2·1.69375    = 2.8 + 3.04875 = 5.84875
    # v = (6.34875, 2.69375, 4.875);
    #   A_0 = 2·(1 + 0.9·2.69375 − 0.5) = 2·2.924375 = 5.84875,  A_1 = 0.5·3.3875 = 1.69375,
    #   A_2 = 1.25·4.3 = 5.375.
    assert_close(out.vs, _t([[6.34875, 2.69375, 4.875]]))
    assert_close(out.pg_advantages, _t([[5.84875, 1.69375, 5.375]]))


def test_lambda_below_one_is_the_lambda_return():
    out = vtrace_targets(**_example(), lambda_=0.5)
    # On policy, c_t = λ = 0.5 and δ_t = e_t = (1.4, −1.45, 4.3):
    #   d_2 = 4.3
    #   d_1 = −1.45 + 0.9·0.5·4.3 = −1.45 + 1.935 = 0.485
    #   d_0 = 1.4 + 0.9·0.5·0.485 = 1.4 + 0.21825 = 1.61825
    # v = (2.11825, 1.485, 3.8). The same as the λ-return G_t = r_t + γ((1−λ)V(x_{t+1}) + λG_{t+1}):
    #   G_2 = 2 + 0.9·2 = 3.8,  G_1 = 0.9·(0.5·(−0.5) + 0.5·3.8) = 1.485,
    #   G_0 = 1 + 0.9·(0.5·1.0 + 0.5·1.485) = 2.11825.
    assert_close(out.vs, _t([[2.11825, 1.485, 3.8]]))
    #   A_0 = 1 + 0.9·1.485 − 0.5 = 1.8365,  A_1 = 0.9·3.8 − 1 = 2.42,  A_2 = 4.3
    assert_close(out.pg_advantages, _t([[1.8365, 2.42, 4.3]]))


def test_lambda_zero_is_the_one_step_target():
    # c = 0: v_t = V(x_t) + e_t = r_t + γ V(x_{t+1}) = (1 + 0.9·1.0, 0 + 0.9·(−0.5), 2 + 0.9·2)
    #                                     = (1.9, −0.45, 3.8).
    out = vtrace_targets(**_example(), lambda_=0.0)
    assert_close(out.vs, _t([[1.9, -0.45, 3.8]]))


def _reference_vtrace(
    values, bootstrap, rewards, discounts, log_rhos, rho_bar, pg_rho_bar, c_bar, lam
):
    """Eq. (1) as written, by a double loop over s and t ≥ s, in plain numpy."""
    b_size, t_size = values.shape
    rhos = np.exp(log_rhos)
    rho_clip = rhos if rho_bar is None else np.minimum(rho_bar, rhos)
    cs = lam * (rhos if c_bar is None else np.minimum(c_bar, rhos))
    pg_rho = rhos if pg_rho_bar is None else np.minimum(pg_rho_bar, rhos)
    values_ext = np.concatenate([values, bootstrap[:, None]], axis=1)
    vs = np.zeros_like(values)
    for b in range(b_size):
        for s in range(t_size):
            total = values[b, s]
            for t in range(s, t_size):
                trace = np.prod(discounts[b, s:t] * cs[b, s:t])  # Π_{i=s}^{t−1} γ_i c_i
                delta = rho_clip[b, t] * (
                    rewards[b, t] + discounts[b, t] * values_ext[b, t + 1] - values[b, t]
                )
                total += trace * delta
            vs[b, s] = total
    vs_ext = np.concatenate([vs, bootstrap[:, None]], axis=1)
    pg_adv = pg_rho * (rewards + discounts * vs_ext[:, 1:] - values)
    return vs, pg_adv


@pytest.mark.parametrize("seed", range(8))
def test_matches_double_loop_reference(seed):
    rng = np.random.default_rng(seed)
    b, t = 5, 9
    values = rng.normal(size=(b, t))
    bootstrap = rng.normal(size=b)
    rewards = rng.normal(size=(b, t))
    discounts = np.where(rng.random((b, t)) < 0.2, 0.0, rng.uniform(0.5, 1.0, (b, t)))
    log_rhos = rng.normal(scale=0.8, size=(b, t))
    # Random thresholds, sometimes absent (seed 0: none clipped at all).
    rho_bar, pg_rho_bar, c_bar = (
        None if seed == 0 or rng.random() < 0.2 else float(rng.uniform(0.5, 2.0)) for _ in range(3)
    )
    lam = 1.0 if seed % 2 else float(rng.uniform(0.0, 1.0))
    assert (discounts == 0.0).any()  # episode ends inside the sequence

    out = vtrace_targets(
        _t(values),
        _t(bootstrap),
        _t(rewards),
        _t(discounts),
        _t(log_rhos),
        clip_rho_threshold=rho_bar,
        clip_pg_rho_threshold=pg_rho_bar,
        clip_c_threshold=c_bar,
        lambda_=lam,
    )
    vs, pg_adv = _reference_vtrace(
        values, bootstrap, rewards, discounts, log_rhos, rho_bar, pg_rho_bar, c_bar, lam
    )
    assert_close(out.vs, _t(vs))
    assert_close(out.pg_advantages, _t(pg_adv))


def test_outputs_carry_no_gradient():
    example = {k: v.clone().requires_grad_(True) for k, v in _example(LOG_RHOS).items()}
    out = vtrace_targets(**example)
    for x in out:
        assert not x.requires_grad
        assert x.grad_fn is None

    target = torch.tensor([[-0.1, -1.2]], requires_grad=True)
    behaviour = torch.tensor([[-0.3, -0.2]], requires_grad=True)
    log_rhos = log_importance_weights(target, behaviour)
    assert not log_rhos.requires_grad
    assert_close(log_rhos, torch.tensor([[0.2, -1.0]]))


def test_rejects_mismatched_shapes():
    example = _example()
    example["rewards_t"] = _t([[1.0, 0.0]])
    with pytest.raises(ValueError, match="rewards_t"):
        vtrace_targets(**example)
    example = _example()
    example["bootstrap_value"] = _t(BOOTSTRAP)
    with pytest.raises(ValueError, match="bootstrap_value"):
        vtrace_targets(**example)
