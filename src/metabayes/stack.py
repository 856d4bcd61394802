"""Several meta-learners of one shape trained as one: the fast path of the training loops.

A :class:`StackedMetaLearner` holds S independent copies of :class:`metabayes.rnn.MetaLearner`
(one per training seed) with every parameter stacked on a leading seed axis, so that one
batched matrix product does the work of S small ones. On one CPU core this is what makes the
small prediction networks (N = 32) fast: their cost is per-operation overhead, which S seeds
now share.

The LSTM runs through :class:`LSTMTrace` (a forward pass without autograd that keeps the gate
activations) and :class:`LSTMReplay` (an autograd function that hands the traced hidden states
on and backpropagates through them by hand). The hand-written backward computes the weight
gradients as one matrix product over all steps, where autograd would do one small product
per step and sum them. Because the forward pass needs no graph, a bandit episode can be played
step by step (each input depends on the previous action) and differentiated afterwards
without running the network twice: the rollout also keeps the decoder's features
(:class:`StepDecoder`), which :class:`DecoderReplay` hands on to the loss.

Seeds never interact: every operation acts on each seed's slice separately (batched products,
per-seed reductions, Adam's elementwise update, gradient clipping by each seed's own norm),
and each seed's parameters sit in a slot whose length is a multiple of :data:`SLOT`, so
elementwise kernels treat a seed's entries alike whatever the stack size. A seed's numbers are
therefore the same whichever seeds share its stack (tested bit for bit).

Inputs and outputs are seed-major, (S, T, B, ·), so that each seed's rows form one matrix of
the batched products; the LSTM's trace is time-major, (T, S, B, ·), so that a step's slice is
contiguous.

The matrix products of the LSTM and of the decoder that follows it may run in bfloat16
(``products``): their operands are rounded to bfloat16, each product is accumulated in float32
by the kernel and rounded to bfloat16 once, and everything else (gates, cell, the backward's
elementwise terms, encoder and heads, parameters, Adam) stays in float32. Those products are
nearly all of a bandit update's arithmetic, and a core with bfloat16 matrix units does them
3–7× faster; on small prediction networks they are slower.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from metabayes.rnn import MetaLearner

SLOT = 64
"""Each seed's copy of a parameter occupies a multiple of this many floats (see module doc)."""


class LSTMTrace:
    """A forward pass of S stacked LSTMs over T steps, without autograd, kept for the backward.

    Call :meth:`step` once per time step with the gate pre-activations; read the hidden
    states from ``h`` afterwards. Initial state (h, c) = 0. The buffers are time-major,
    (T, S, B, ·), so that each step reads and writes contiguous blocks.

    Args:
        S, T, B, N: stack size, steps, batch size, hidden size.
        dtype: floating type of the buffers.
        products: operand type of the LSTM's matrix products, in this pass and in the
            backward of :class:`LSTMReplay` (float32 or bfloat16; ``dtype`` if None).
    """

    def __init__(
        self,
        S: int,
        T: int,
        B: int,
        N: int,
        dtype: torch.dtype = torch.float32,
        products: torch.dtype | None = None,
    ):
        self.products = dtype if products is None else products
        self.acts = torch.empty(T, S, B, 4, N, dtype=dtype)  # σ(i), σ(f), tanh(g), σ(o)
        self.c = torch.empty(T, S, B, N, dtype=dtype)
        self.tanh_c = torch.empty(T, S, B, N, dtype=dtype)
        self.h = torch.empty(T, S, B, N, dtype=dtype)
        self.t = 0

    @torch.no_grad()
    def step(self, gates: torch.Tensor) -> torch.Tensor:
        """Advance one step from pre-activations (S, B, 4N) in gate order i, f, g, o; returns h."""
        t = self.t
        acts, c, h = self.acts[t], self.c[t], self.h[t]
        torch.sigmoid(gates.view(acts.shape), out=acts)
        torch.tanh(gates.view(acts.shape)[:, :, 2], out=acts[:, :, 2])
        i, f, g, o = acts.unbind(2)
        torch.mul(i, g, out=c)
        if t > 0:
            c.addcmul_(f, self.c[t - 1])
        torch.tanh(c, out=self.tanh_c[t])
        torch.mul(o, self.tanh_c[t], out=h)
        self.t += 1
        return h


class StepGates:
    """Gate pre-activations b + x_t W_ihᵀ + h_{t−1} W_hhᵀ of S stacked LSTMs, step by step.

    For a pass whose inputs are known only one step ahead (a bandit rollout). In the type of
    the weights, the two products are fused multiply-adds; with lower-precision ``products``,
    x_t and h_{t−1} are rounded into one buffer and multiplied by [W_ih | W_hh]ᵀ, rounded once
    per pass, in a single product whose result is added to the bias in float32.

    Args:
        w_ih, w_hh: (S, 4N, N_in) and (S, 4N, N), without autograd.
        bias: b_ih + b_hh, (S, 4N).
        products: operand type of the products.
    """

    def __init__(
        self, w_ih: torch.Tensor, w_hh: torch.Tensor, bias: torch.Tensor, products: torch.dtype
    ):
        self.bias = bias[:, None]
        self.exact = products == w_ih.dtype
        if self.exact:
            self.w_ih_t, self.w_hh_t = w_ih.transpose(1, 2), w_hh.transpose(1, 2)
        else:
            self.n_in = w_ih.shape[2]
            self.w_t = torch.cat([w_ih, w_hh], dim=2).transpose(1, 2).to(products)
            self.xh: torch.Tensor | None = None

    @torch.no_grad()
    def __call__(self, x: torch.Tensor, h: torch.Tensor | None) -> torch.Tensor:
        """Pre-activations (S, B, 4N) from inputs x (S, B, N_in) and h_{t−1}, None at t = 0."""
        if self.exact:
            gates = torch.baddbmm(self.bias, x, self.w_ih_t)
            if h is not None:
                gates.baddbmm_(h, self.w_hh_t)
            return gates
        if self.xh is None:  # h_{−1} = 0 stays in the buffer's second part until t = 1
            self.xh = torch.zeros(*x.shape[:-1], self.w_t.shape[1], dtype=self.w_t.dtype)
        self.xh[..., : self.n_in].copy_(x)
        if h is not None:
            self.xh[..., self.n_in :].copy_(h)
        return torch.add(self.bias, torch.bmm(self.xh, self.w_t))


class StepDecoder:
    """The decoder layer relu(b + h_t W_dᵀ) of S stacked networks, step by step, kept.

    A rollout needs the decoder's features at every step for its policy; they are written
    into ``features`` (T, S, B, N), time-major like :class:`LSTMTrace`, and
    :class:`DecoderReplay` hands them on to the loss, so the layer is not run a second time.
    In the type of the weights the product is a fused multiply-add, as in
    :func:`stacked_linear`; with lower-precision ``products``, h_t is rounded and multiplied by
    W_dᵀ rounded once per pass, and the result is added to the bias in float32.

    Args:
        weight, bias: (S, N, N) and (S, N), without autograd.
        T, B: steps and batch size.
        products: operand type of the products, in this pass and in the backward of
            :class:`DecoderReplay`.
    """

    def __init__(
        self, weight: torch.Tensor, bias: torch.Tensor, T: int, B: int, products: torch.dtype
    ):
        S, N, _ = weight.shape
        self.products = products
        self.bias = bias[:, None]
        self.w_t = weight.transpose(1, 2).to(products)
        self.features = torch.empty(T, S, B, N, dtype=weight.dtype)
        self.t = 0

    @torch.no_grad()
    def step(self, h: torch.Tensor) -> torch.Tensor:
        """The features (S, B, N) of hidden states h (S, B, N) at the next step."""
        if self.products == h.dtype:
            pre = torch.baddbmm(self.bias, h, self.w_t)
        else:
            pre = torch.add(self.bias, torch.bmm(h.to(self.products), self.w_t))
        features = torch.clamp_min(pre, 0, out=self.features[self.t])  # relu
        self.t += 1
        return features


class DecoderReplay(torch.autograd.Function):
    """The features of a :class:`StepDecoder` pass, differentiable in its inputs and parameters.

    ``forward(hidden, weight, bias, decoder)`` returns the features (S, T, B, N), a view of
    ``decoder.features``; the pass must be that of these very hidden states and parameters.
    The backward takes the operations, in the same order, that autograd takes through
    ``relu(stacked_linear(...))``, or with lower-precision products through the same layer
    with the product's operands and result rounded.
    """

    @staticmethod
    def forward(ctx, hidden, weight, bias, decoder: StepDecoder):
        ctx.decoder = decoder
        ctx.save_for_backward(hidden, weight)
        return decoder.features.transpose(0, 1)

    @staticmethod
    @torch.no_grad()
    def backward(ctx, grad_features):
        hidden, weight = ctx.saved_tensors
        decoder: StepDecoder = ctx.decoder
        S, N = weight.shape[:2]
        features = decoder.features.transpose(0, 1)
        grad_pre = torch.ops.aten.threshold_backward(grad_features, features, 0)
        grad_pre = grad_pre.reshape(S, -1, N)
        rows = hidden.reshape(S, -1, hidden.shape[-1]).to(decoder.products)
        rounded = grad_pre.to(decoder.products)  # each .to is the tensor itself in float32
        grad_hidden = torch.bmm(rounded, weight.to(decoder.products)).to(grad_pre.dtype)
        grad_weight = torch.bmm(rows.transpose(1, 2), rounded).to(grad_pre.dtype)
        grad_bias = grad_pre.sum(dim=1)
        return grad_hidden.view(hidden.shape), grad_weight.transpose(1, 2), grad_bias, None


def lstm_trace(
    x: torch.Tensor, w_ih: torch.Tensor, w_hh: torch.Tensor, bias: torch.Tensor
) -> LSTMTrace:
    """Run stacked LSTMs over known inputs x (S, T, B, N_in); weights (S, 4N, ·), bias (S, 4N).

    The input projection of all steps is one batched product; only h_{t−1} W_hhᵀ is per step.
    """
    S, T, B, _ = x.shape
    N = w_hh.shape[-1]
    trace = LSTMTrace(S, T, B, N, x.dtype)
    with torch.no_grad():
        pre = torch.baddbmm(bias[:, None], x.reshape(S, T * B, -1), w_ih.transpose(1, 2))
        pre = pre.view(S, T, B, 4 * N)
        h = None
        for t in range(T):
            gates = pre[:, t] if h is None else torch.baddbmm(pre[:, t], h, w_hh.transpose(1, 2))
            h = trace.step(gates)
    return trace


class LSTMReplay(torch.autograd.Function):
    """Hidden states of a traced LSTM pass, differentiable in its inputs and parameters.

    ``forward(x, w_ih, w_hh, b_ih, b_hh, trace)`` returns the hidden states (S, T, B, N), a
    view of ``trace.h``. The trace must be the pass of these very inputs and parameters
    (:func:`lstm_trace`, or a bandit rollout that fed ``x`` step by step). The backward is the
    LSTM's exact gradient, with the weight gradients as one product over all T·B rows.
    """

    @staticmethod
    def forward(ctx, x, w_ih, w_hh, b_ih, b_hh, trace: LSTMTrace):
        ctx.trace = trace
        ctx.save_for_backward(x, w_ih, w_hh)
        return trace.h.transpose(0, 1)

    @staticmethod
    @torch.no_grad()
    def backward(ctx, grad_h):
        x, w_ih, w_hh = ctx.saved_tensors
        trace: LSTMTrace = ctx.trace
        T, S, B, N = trace.h.shape
        products = trace.products
        exact = products == grad_h.dtype
        w_hh_p = w_hh.to(products)
        one = torch.ones((), dtype=grad_h.dtype)
        grad_gates = torch.empty(S, T, B, 4, N, dtype=grad_h.dtype)
        # The gate gradients rounded step by step, while they are in cache, for the products.
        rounded = grad_gates if exact else torch.empty(S, T, B, 4 * N, dtype=products)
        dh = grad_h[:, T - 1]
        dc = torch.zeros(S, B, N, dtype=grad_h.dtype)
        scratch = torch.empty(S, B, N, dtype=grad_h.dtype)
        # Step by step, on data that stays in cache: dc_t += dh_t · σ(o)(1 − tanh²c_t); the
        # pre-activation gradients are σ' = σ(1 − σ) (i, f, o) or tanh' = 1 − tanh² (g), times
        # the other factor of their product (g, c_{t−1}, i, tanh c_t), times dc_t (i, f, g)
        # or dh_t (o).
        for t in reversed(range(T)):
            acts, tanh_c, out = trace.acts[t], trace.tanh_c[t], grad_gates[:, t]
            i, f, g, o = acts.unbind(2)
            torch.addcmul(one, tanh_c, tanh_c, value=-1, out=scratch)
            scratch.mul_(o)
            dc.addcmul_(dh, scratch)
            torch.addcmul(acts, acts, acts, value=-1, out=out)
            torch.addcmul(one, g, g, value=-1, out=out[:, :, 2])
            out[:, :, 0].mul_(g)
            if t > 0:
                out[:, :, 1].mul_(trace.c[t - 1])
            else:
                out[:, :, 1].zero_()  # c_{−1} = 0
            out[:, :, 2].mul_(i)
            out[:, :, 3].mul_(tanh_c)
            out[:, :, :3].mul_(dc[:, :, None])
            out[:, :, 3].mul_(dh)
            if not exact:
                rounded[:, t].copy_(out.view(S, B, 4 * N))
            if t > 0:
                dc.mul_(f)
                if exact:
                    dh = torch.baddbmm(grad_h[:, t - 1], out.view(S, B, 4 * N), w_hh)
                else:
                    step = torch.bmm(rounded[:, t], w_hh_p)
                    dh = torch.add(grad_h[:, t - 1], step)

        grad_b = grad_gates.view(S, T * B, 4 * N).sum(dim=1)
        # h_{t−1} for every step, 0 before the first: the products then run over whole,
        # regularly strided blocks (a sliced operand would be copied transposed first).
        h_prev = torch.zeros(S, T, B, N, dtype=products)
        h_prev[:, 1:] = trace.h[:-1].transpose(0, 1)
        flat = rounded.view(S, T * B, 4 * N)
        x_rows = x.reshape(S, T * B, -1).to(products)
        grad_x = torch.bmm(flat, w_ih.to(products)).view(x.shape)
        grad_w_ih = torch.bmm(flat.transpose(1, 2), x_rows)
        grad_w_hh = torch.bmm(flat.transpose(1, 2), h_prev.view(S, T * B, N))
        if not exact:
            grad_x, grad_w_ih, grad_w_hh = (
                g.to(grad_h.dtype) for g in (grad_x, grad_w_ih, grad_w_hh)
            )
        return grad_x, grad_w_ih, grad_w_hh, grad_b, grad_b.clone(), None


class StackedMetaLearner(nn.Module):
    """S :class:`MetaLearner` of one shape with parameters stacked on a leading seed axis.

    Built from S initialised networks; :meth:`export` gives seed k's parameters back as a
    ``MetaLearner`` state dict, so checkpoints are those of single networks.
    """

    def __init__(self, nets: Sequence[MetaLearner]):
        super().__init__()
        first = nets[0]
        self.S = len(nets)
        self.hidden_size = first.hidden_size
        self.has_value = first.value is not None
        self.shapes = {name: p.shape for name, p in first.named_parameters()}
        self.flat = nn.ParameterDict()
        for name, shape in self.shapes.items():
            numel = math.prod(shape)
            data = torch.zeros(self.S, slot_length(numel))
            for k, net in enumerate(nets):
                data[k, :numel] = net.get_parameter(name).detach().flatten()
            self.flat[_key(name)] = nn.Parameter(data)

    def param(self, name: str) -> torch.Tensor:
        """Parameter ``name`` of the MetaLearner, stacked: (S, *shape), a view."""
        shape = self.shapes[name]
        return self.flat[_key(name)][:, : math.prod(shape)].view(self.S, *shape)

    def export(self, k: int) -> dict[str, torch.Tensor]:
        """Seed slot k as a MetaLearner state dict (copies)."""
        return {name: self.param(name)[k].detach().clone() for name in self.shapes}

    def load(self, k: int, state: dict[str, torch.Tensor]) -> None:
        """Overwrite seed slot k with a MetaLearner state dict."""
        with torch.no_grad():
            for name in self.shapes:
                self.param(name)[k].copy_(state[name])

    def linear(self, name: str, x: torch.Tensor) -> torch.Tensor:
        """x (S, ..., in) through linear layer ``name`` of every seed (:func:`stacked_linear`)."""
        return stacked_linear(x, self.param(f"{name}.weight"), self.param(f"{name}.bias"))

    def lstm_weights(self) -> tuple[torch.Tensor, ...]:
        """w_ih, w_hh (S, 4N, N) and b_ih, b_hh (S, 4N)."""
        return tuple(
            self.param(f"lstm.{n}_l0") for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        )

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.linear("encoder", x))

    def emit(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Readout (and value, or None) of hidden states (S, ..., N)."""
        return self.heads(torch.relu(self.linear("decoder", h)))

    def heads(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Readout (and value, or None) of the decoder's features (S, ..., N)."""
        value = self.linear("value", features)[..., 0] if self.has_value else None
        return self.linear("readout", features), value

    def forward(self, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Unroll over known inputs (S, T, B, input_dim); readout (S, T, B, ·) and value."""
        encoded = self.encode(inputs)
        w_ih, w_hh, b_ih, b_hh = self.lstm_weights()
        trace = lstm_trace(encoded.detach(), w_ih.detach(), w_hh.detach(), (b_ih + b_hh).detach())
        hidden = LSTMReplay.apply(encoded, w_ih, w_hh, b_ih, b_hh, trace)
        return self.emit(hidden)

    def clip_grad_norm_(self, max_norm: float) -> torch.Tensor:
        """Scale each seed's gradient so that its global norm is at most ``max_norm``.

        As ``torch.nn.utils.clip_grad_norm_`` does for one network (coefficient
        max_norm / (norm + 1e-6), capped at 1), per seed; returns the norms (S,).
        """
        grads = [p.grad for p in self.flat.values()]
        norms = torch.linalg.vector_norm(
            torch.stack([torch.linalg.vector_norm(g, dim=1) for g in grads], dim=1), dim=1
        )
        coefficient = torch.clamp(max_norm / (norms + 1e-6), max=1.0)
        for g in grads:
            g.mul_(coefficient[:, None])
        return norms


def stacked_linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """x (S, ..., in) through S linear layers, weight (S, out, in) and bias (S, out).

    A layer with one input or one output is computed elementwise: a batched product with a
    dimension of 1 takes a matrix-vector path whose last bits depend on the stack size.
    """
    S, n_out, n_in = weight.shape
    flat = x.reshape(S, -1, n_in)
    if n_in == 1:
        out = torch.addcmul(bias[:, None], flat, weight.transpose(1, 2))
    elif n_out == 1:
        out = (flat * weight).sum(dim=-1, keepdim=True) + bias[:, None]
    else:
        out = torch.baddbmm(bias[:, None], flat, weight.transpose(1, 2))
    return out.view(*x.shape[:-1], n_out)


def slot_length(numel: int) -> int:
    """Floats reserved for ``numel`` entries: the next multiple of :data:`SLOT`."""
    return -(-numel // SLOT) * SLOT


def _key(name: str) -> str:
    return name.replace(".", "__")
