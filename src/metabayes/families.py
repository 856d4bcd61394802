"""Predictive families: the distributions that agents output for the next observation.

Each prediction task's posterior predictive belongs to one of these families, and the RNN
meta-learner's readout parametrises the same family [SPEC §1 choice], so that the
Bayes-optimal predictor is exactly representable. A family knows three things:

- ``params(raw)``: the readout's unconstrained numbers → the family's parameters (torch);
- ``log_prob(raw, x)``: the log-density of an observation under the readout (torch, the
  training loss), written for numerical stability directly on the raw numbers;
- ``logpdf(params, x)`` and ``kl(p, q)``: densities (via ``scipy.stats``) and the
  Kullback–Leibler divergence KL(p ‖ q) between two parameter arrays (numpy), exact where a
  closed form exists, by tanh-sinh quadrature in quantile form otherwise;
- ``mixture_kl(p, qs)`` and ``js(p, q)``: the Jensen–Shannon divergence (paper §3.3, note 5)
  and its halves KL(p ‖ (p + q)/2), in closed form for discrete families and by the same
  quadrature for continuous ones.

Parameter arrays have shape (..., n_params); observations have shape (...).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from scipy import special

from metabayes.quadrature import UnitNodes, tanh_sinh_unit

_NODES: UnitNodes = tanh_sinh_unit()
_JS_NODES: UnitNodes = tanh_sinh_unit(step=1 / 8)
# A coarser rule (57 nodes) for the Jensen–Shannon halves, whose integrand is bounded above
# by log 2; the convergence analysis evaluates it ~10⁹ times per task. On the pairwise
# distances of real traces (Normal, Student-t, Lomax) it is within 2e-4 relative of a rule
# with 4× the nodes, and within 0.5 % on extreme pairs (scale ratio 8, tests/test_families.py),
# far below the sampling error of the evaluation episodes themselves (a final checkpoint's
# distance to Opt moves by 5–60 % between 100 and 500 episodes); the 113-node rule would cost
# twice as much.
_BLOCK = 50_000
"""(row, node) pairs per block of the quadratures (:func:`quantile_kl`,
:func:`quantile_mixture_kl`): their few temporaries of this many doubles (400 kB each) stay
in a core's L2 cache. The pairwise distances of a continuous family took 2.7–2.9× less CPU
in these blocks than in blocks of 2 000 000 (distribution, row, node) triples (16 MB), and KL
1.3× less than in blocks of 8 192 rows (7 MB)."""


class Family(ABC):
    """A parametric family of predictive distributions."""

    name: str
    param_names: tuple[str, ...]

    @property
    def n_params(self) -> int:
        """Number of parameters, equal to the number of readout units."""
        return len(self.param_names)

    @abstractmethod
    def params(self, raw: torch.Tensor) -> torch.Tensor:
        """Map readout values (..., n_params) to the family's parameters (..., n_params)."""

    @abstractmethod
    def log_prob(self, raw: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """log q(x) under the distribution with readout ``raw``; shape (...)."""

    @abstractmethod
    def logpdf(self, params: np.ndarray, x: np.ndarray) -> np.ndarray:
        """log density (or mass) of x under ``params``; numpy reference implementation."""

    @abstractmethod
    def kl(self, p: np.ndarray, q: np.ndarray) -> np.ndarray:
        """KL(p ‖ q) for parameter arrays of shape (..., n_params); returns shape (...)."""

    @abstractmethod
    def mixture_kl(self, p: np.ndarray, qs: np.ndarray) -> np.ndarray:
        """KL(p ‖ (p + q)/2) of one array of distributions against several others.

        Args:
            p: parameters, shape (N, n_params).
            qs: parameters of n arrays of distributions on the same rows, (n, N, n_params).

        Returns:
            Shape (n, N), each value in [0, log 2].
        """

    def js(self, p: np.ndarray, q: np.ndarray) -> np.ndarray:
        """Jensen–Shannon divergence ½ KL(p ‖ m) + ½ KL(q ‖ m), m = (p + q)/2 (paper note 5).

        Symmetric, in [0, log 2]; p and q of shape (..., n_params) → shape (...).
        """
        p, q = np.broadcast_arrays(np.asarray(p, float), np.asarray(q, float))
        shape, n_params = p.shape[:-1], p.shape[-1]
        p, q = p.reshape(-1, n_params), q.reshape(-1, n_params)
        halves = self.mixture_kl(p, q[None])[0] + self.mixture_kl(q, p[None])[0]
        return (0.5 * halves).reshape(shape)


class Bernoulli(Family):
    """Bernoulli(p) on {0, 1}; the readout is the logit of p."""

    name = "bernoulli"
    param_names = ("p",)

    def params(self, raw):
        return torch.sigmoid(raw)

    def log_prob(self, raw, x):
        logit = raw[..., 0]
        return x * logit - F.softplus(logit)

    def logpdf(self, params, x):
        from scipy import stats  # imported here: it costs every job 2 s at start-up

        return stats.bernoulli.logpmf(x, params[..., 0])

    def kl(self, p, q):
        p1, q1 = p[..., 0], q[..., 0]
        return (special.xlogy(p1, p1) - special.xlogy(p1, q1)) + (
            special.xlogy(1 - p1, 1 - p1) - special.xlogy(1 - p1, 1 - q1)
        )

    def mixture_kl(self, p, qs):
        return _discrete_mixture_kl(
            _outcomes(np.asarray(p, float)), _outcomes(np.asarray(qs, float))
        )


class Categorical(Family):
    """Categorical over K outcomes; the readout is K logits."""

    name = "categorical"

    def __init__(self, n_outcomes: int):
        self.n_outcomes = n_outcomes
        self.param_names = tuple(f"p{k}" for k in range(n_outcomes))

    def params(self, raw):
        return torch.softmax(raw, dim=-1)

    def log_prob(self, raw, x):
        log_p = torch.log_softmax(raw, dim=-1)
        return log_p.gather(-1, x.long().unsqueeze(-1)).squeeze(-1)

    def logpdf(self, params, x):
        x = np.asarray(x, dtype=np.int64)
        shape = np.broadcast_shapes(params.shape[:-1], x.shape)
        params = np.broadcast_to(params, (*shape, params.shape[-1]))
        idx = np.broadcast_to(x, shape)[..., None]
        return np.log(np.take_along_axis(params, idx, axis=-1)[..., 0])

    def kl(self, p, q):
        return np.sum(special.xlogy(p, p) - special.xlogy(p, q), axis=-1)

    def mixture_kl(self, p, qs):
        return _discrete_mixture_kl(np.asarray(p, float), np.asarray(qs, float))


class Lomax(Family):
    """Lomax (Pareto II) with shape α and scale λ: density α/λ · (1 + x/λ)^-(α+1), x > 0.

    The posterior predictive of exponential observations under a Gamma prior. The
    readout is (log α, log λ). KL has no closed form for unequal scales; it is computed by
    quadrature (see :func:`quantile_kl`).
    """

    name = "lomax"
    param_names = ("shape", "scale")

    def params(self, raw):
        return torch.exp(raw)

    def log_prob(self, raw, x):
        log_shape, log_scale = raw[..., 0], raw[..., 1]
        return (
            log_shape
            - log_scale
            - (torch.exp(log_shape) + 1) * torch.log1p(x * torch.exp(-log_scale))
        )

    def logpdf(self, params, x):
        from scipy import stats  # imported here: it costs every job 2 s at start-up

        return stats.lomax.logpdf(x, params[..., 0], scale=params[..., 1])

    def kl(self, p, q):
        return quantile_kl(self._quantile, self.logpdf, p, q)

    def mixture_kl(self, p, qs):
        return quantile_mixture_kl(self._quantile, self.logpdf, p, qs)

    @staticmethod
    def _quantile(params, u, one_minus_u):
        """F^{-1}(u) = λ((1 - u)^(-1/α) - 1), from 1 - u to keep the upper tail exact."""
        shape, scale = params[..., 0:1], params[..., 1:2]
        return scale * np.expm1(-np.log(one_minus_u) / shape)


class Normal(Family):
    """Normal with mean μ and standard deviation σ; the readout is (μ, log σ)."""

    name = "normal"
    param_names = ("mean", "std")

    def params(self, raw):
        return torch.stack([raw[..., 0], torch.exp(raw[..., 1])], dim=-1)

    def log_prob(self, raw, x):
        mean, log_std = raw[..., 0], raw[..., 1]
        z = (x - mean) * torch.exp(-log_std)
        return -0.5 * z**2 - log_std - 0.5 * math.log(2 * math.pi)

    def logpdf(self, params, x):
        from scipy import stats  # imported here: it costs every job 2 s at start-up

        return stats.norm.logpdf(x, params[..., 0], params[..., 1])

    def kl(self, p, q):
        """KL = log(σq/σp) + (σp² + (μp − μq)²) / (2σq²) − 1/2."""
        (mp, sp), (mq, sq) = np.moveaxis(p, -1, 0), np.moveaxis(q, -1, 0)
        return np.log(sq / sp) + (sp**2 + (mp - mq) ** 2) / (2 * sq**2) - 0.5

    def mixture_kl(self, p, qs):
        return quantile_mixture_kl(self._quantile, self.logpdf, p, qs)

    @staticmethod
    def _quantile(params, u, one_minus_u):
        """μ + σ·Φ^{-1}(u), from the nearer end point so that both tails are exact."""
        mean, std = params[..., 0:1], params[..., 1:2]
        lower = u < 0.5
        z = np.where(
            lower,
            special.ndtri(np.where(lower, u, 0.5)),
            -special.ndtri(np.where(lower, 0.5, one_minus_u)),
        )
        return mean + std * z


class StudentT(Family):
    """Student-t with location μ, scale σ and ν degrees of freedom.

    The posterior predictive of Gaussian observations under a Normal-Gamma prior. The
    readout is (μ, log σ, log ν). KL has no closed form; it is computed by quadrature.
    """

    name = "student_t"
    param_names = ("loc", "scale", "dof")

    def params(self, raw):
        return torch.stack([raw[..., 0], torch.exp(raw[..., 1]), torch.exp(raw[..., 2])], -1)

    def log_prob(self, raw, x):
        loc, log_scale, log_dof = raw[..., 0], raw[..., 1], raw[..., 2]
        dof = torch.exp(log_dof)
        z = (x - loc) * torch.exp(-log_scale)
        return (
            torch.lgamma((dof + 1) / 2)
            - torch.lgamma(dof / 2)
            - 0.5 * (log_dof + math.log(math.pi))
            - log_scale
            - (dof + 1) / 2 * torch.log1p(z**2 / dof)
        )

    def logpdf(self, params, x):
        # Written out: scipy.stats.t.logpdf is ~10× slower on the broadcast arrays of the
        # pairwise distances (the values agree to ~1e-15, tests/test_families.py).
        loc, scale, dof = params[..., 0], params[..., 1], params[..., 2]
        z = (x - loc) / scale
        return (
            special.gammaln((dof + 1) / 2)
            - special.gammaln(dof / 2)
            - 0.5 * np.log(dof * np.pi)
            - np.log(scale)
            - (dof + 1) / 2 * np.log1p(z * z / dof)
        )

    def kl(self, p, q):
        return quantile_kl(self._quantile, self.logpdf, p, q)

    def mixture_kl(self, p, qs):
        return quantile_mixture_kl(self._quantile, self.logpdf, p, qs)

    @staticmethod
    def _quantile(params, u, one_minus_u):
        """μ + σ·t_ν^{-1}(u), using the symmetry t^{-1}(u) = -t^{-1}(1 - u) in the upper half."""
        loc, scale, dof = params[..., 0:1], params[..., 1:2], params[..., 2:3]
        lower = u < 0.5
        z = np.where(
            lower,
            special.stdtrit(dof, np.where(lower, u, 0.5)),
            -special.stdtrit(dof, np.where(lower, 0.5, one_minus_u)),
        )
        return loc + scale * z


Quantile = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
LogPdf = Callable[[np.ndarray, np.ndarray], np.ndarray]


def quantile_kl(quantile: Quantile, logpdf: LogPdf, p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """KL(p ‖ q) = ∫_0^1 [log p(x(u)) − log q(x(u))] du with x(u) = F_p^{-1}(u).

    The quantile form turns the expectation under p into an integral over (0, 1) whose
    integrand grows only logarithmically at the end points, which tanh-sinh quadrature
    integrates to ~1e-10 with 113 nodes (tested against closed forms, scipy's adaptive
    quadrature and Monte Carlo in ``tests/test_families.py``).

    Args:
        quantile: (params (n, P), u (M,), 1 − u (M,)) → x (n, M).
        logpdf: (params (n, 1, P), x (n, M)) → log density (n, M).
        p, q: parameter arrays of shape (..., P).

    Returns:
        KL divergences, shape (...).
    """
    p, q = np.broadcast_arrays(np.asarray(p, float), np.asarray(q, float))
    batch_shape = p.shape[:-1]
    p_flat, q_flat = p.reshape(-1, p.shape[-1]), q.reshape(-1, q.shape[-1])
    out = np.empty(len(p_flat))
    rows = max(1, _BLOCK // len(_NODES.u))
    for start in range(0, len(p_flat), rows):
        block = slice(start, start + rows)
        pc, qc = p_flat[block], q_flat[block]
        x = quantile(pc, _NODES.u, _NODES.one_minus_u)
        log_ratio = logpdf(pc[:, None, :], x) - logpdf(qc[:, None, :], x)
        out[block] = _quadrature(log_ratio, _NODES.weights)
    return out.reshape(batch_shape)


def quantile_mixture_kl(
    quantile: Quantile,
    logpdf: LogPdf,
    p: np.ndarray,
    qs: np.ndarray,
    nodes: UnitNodes = _JS_NODES,
) -> np.ndarray:
    """KL(p ‖ (p + q)/2) for every q of ``qs``, by quadrature in p's quantile form.

    With x(u) = F_p^{-1}(u) the integrand is log 2 − log(1 + q(x)/p(x)): bounded above by
    log 2 and only logarithmically singular at the end points. p's quantile nodes and
    log-densities are computed once and shared by every q, which is what makes a pairwise
    distance matrix affordable.

    Args:
        quantile, logpdf: as for :func:`quantile_kl`.
        p: parameters, shape (N, P).
        qs: parameters, shape (n, N, P).
        nodes: the quadrature rule on (0, 1).

    Returns:
        Shape (n, N).
    """
    p, qs = np.asarray(p, float), np.asarray(qs, float)
    # A quantile beyond the float range (a Lomax of shape < 0.08 at the outermost nodes,
    # whose weights are < 1e-20) overflows; its node contributes nothing.
    with np.errstate(over="ignore", invalid="ignore"):
        x = quantile(p, nodes.u, nodes.one_minus_u)  # (N, M)
        log_p = logpdf(p[:, None, :], x)
    rows = max(1, _BLOCK // x.shape[1])
    out = np.empty(qs.shape[:2])
    for start in range(0, len(p), rows):
        block = slice(start, start + rows)
        for k, q in enumerate(qs):
            with np.errstate(over="ignore", invalid="ignore"):
                log_q = logpdf(q[block, None, :], x[block])  # (rows, M)
                integrand = np.log(2.0) - np.logaddexp(0.0, log_q - log_p[block])
            integrand[~np.isfinite(integrand)] = 0.0
            out[k, block] = _quadrature(integrand, nodes.weights)
    return out


def _quadrature(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Σ_m w_m f(u_m) for each row of values (rows, M).

    Each row is summed in the same order whatever the number of rows (a BLAS product's order
    depends on it), so that the blocks of the quadratures leave no trace in their values.
    """
    return np.einsum("rm,m->r", values, weights)


def _discrete_mixture_kl(p: np.ndarray, qs: np.ndarray) -> np.ndarray:
    """Σ_k p_k log(2 p_k / (p_k + q_k)) for probability vectors p (N, K) and qs (n, N, K)."""
    return np.sum(special.xlogy(p, 2 * p) - special.xlogy(p, p + qs), axis=-1)


def _outcomes(p: np.ndarray) -> np.ndarray:
    """Bernoulli parameters (..., 1) → outcome probabilities (..., 2)."""
    return np.concatenate([1 - p, p], axis=-1)
