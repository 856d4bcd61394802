"""Structural comparison by approximate simulation (paper §2, §3.4, §4.3).

A machine M *simulates* a machine N if some map ϕ from N's states into M's states turns every
trace of N into a trace of M on which the outputs agree. Approximately, along reference
traces (the same inputs to both machines):

1. each machine's states (K, T, S) are projected onto their first principal components and
   whitened (:class:`Whitening`), fitted on the training episodes: all n of Opt's (n = the
   Bayes state dimension) and, as the paper, n of the RNN's (or m ≥ n, or the RNN's full
   state standardised per unit: analysis choices, :func:`compare`);
2. ϕ, an MLP, is regressed from N's coordinates onto M's on the training episodes,
   stopping early on the validation episodes (:func:`fit_embeddings`);
3. on the held-out test episodes, D_s is the mean squared error of ϕ in the simulating
   machine's first n whitened components (1 is the error of predicting the mean), and D_o
   the output dissimilarity between N's output at its own state and M's output at ϕ(state)
   mapped back to M's state space (inverse whitening and PCA), with its standard error.

Directions carry the paper's arrows: ``rnn_to_opt`` embeds the RNN's states in Opt's (Opt
simulates the RNN), ``opt_to_rnn`` the reverse. A machine that merges states another keeps
apart (the counts of a Bernoulli sequence versus its order-sensitive history) can simulate
the other, but not be simulated by it: ϕ would have to send one state to several.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from metabayes.rng import numpy_rng, seeded_torch, torch_seed
from metabayes.settings import EmbeddingSettings, split_sizes
from metabayes.stack import slot_length, stacked_linear

DIRECTIONS = ("rnn_to_opt", "opt_to_rnn")
"""Embedding directions: the RNN's states in Opt's state space, and the reverse."""


@dataclass(frozen=True)
class Whitening:
    """Projection onto the first n principal components, scaled to unit variance.

    z = ((x − mean) Vₙᵀ) / σₙ with Vₙ the top n right singular vectors of the centred
    states (rows, each signed so that its largest-magnitude entry is positive) and σₙ the
    standard deviations along them; the inverse maps z back to the rank-n reconstruction
    mean + (z σₙ) Vₙ in the original space (exact when n = S).
    """

    mean: np.ndarray  # (S,)
    components: np.ndarray  # (n, S), orthonormal rows
    scale: np.ndarray  # (n,)
    explained: float  # fraction of the total variance along the n components

    @classmethod
    def fit(cls, states: np.ndarray, n: int) -> Whitening:
        """Fit on states (m, S), keeping min(n, S) components."""
        states = np.asarray(states, dtype=np.float64)
        if n < 1:
            raise ValueError(f"cannot keep {n} principal components")
        n = min(n, states.shape[1])
        mean = states.mean(axis=0)
        _, singular, vt = np.linalg.svd(states - mean, full_matrices=False)
        variance = singular**2 / (len(states) - 1)
        components = vt[:n]
        largest = components[np.arange(n), np.argmax(np.abs(components), axis=1)]
        components = components * np.sign(largest)[:, None]
        scale = np.sqrt(variance[:n])
        scale = np.maximum(scale, 1e-9 * max(scale[0], 1e-300))  # a constant direction
        return cls(mean, components, scale, float(variance[:n].sum() / variance.sum()))

    @classmethod
    def standardise(cls, states: np.ndarray) -> Whitening:
        """Per-coordinate standardisation of states (m, S): every dimension centred and scaled
        to unit variance, without rotation or truncation, so the inverse is exact."""
        states = np.asarray(states, dtype=np.float64)
        scale = states.std(axis=0, ddof=1)
        scale = np.maximum(scale, 1e-9 * max(scale.max(), 1e-300))  # constant units
        return cls(states.mean(axis=0), np.eye(states.shape[1]), scale, 1.0)

    def transform(self, states: np.ndarray) -> np.ndarray:
        """(..., S) → whitened coordinates (..., n)."""
        return ((np.asarray(states, dtype=np.float64) - self.mean) @ self.components.T) / self.scale

    def inverse(self, z: np.ndarray) -> np.ndarray:
        """Whitened coordinates (..., n) → states (..., S)."""
        return self.mean + (z * self.scale) @ self.components


@dataclass(frozen=True)
class Split:
    """Episode indices of the three parts of the reference traces."""

    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray


def split_episodes(n_episodes: int, fractions: tuple[float, float, float], seed: int) -> Split:
    """A random partition of episodes in the given proportions (train, validation, test)."""
    order = numpy_rng(seed, "structure").permutation(n_episodes)
    n_train, n_validation, n_test = split_sizes(n_episodes, fractions)
    if min(n_train, n_validation, n_test) < 1:
        raise ValueError(f"{n_episodes} episodes cannot be split {fractions} with none empty")
    parts = np.split(order, [n_train, n_train + n_validation])
    return Split(*(np.sort(part) for part in parts))


def embedding_network(n_in: int, n_out: int, settings: EmbeddingSettings) -> nn.Sequential:
    """ϕ: ``n_layers`` hidden ReLU layers of ``hidden_size`` units, then a linear layer."""
    layers: list[nn.Module] = []
    width = n_in
    for _ in range(settings.n_layers):
        layers += [nn.Linear(width, settings.hidden_size), nn.ReLU()]
        width = settings.hidden_size
    return nn.Sequential(*layers, nn.Linear(width, n_out))


@dataclass(frozen=True)
class Regression:
    """One ϕ to fit: its pairs of states, which of them train and which validate, the states
    to map, and ϕ's stream key.

    The pairs are indexed along their first axis, an episode (..., T, n) or a single state
    (..., n); the rows a part trains on are those of its indices, flattened. The parts are
    cut out only when ϕ is fitted, so that many pending regressions over the same states
    (K, T, 2N of a bandit LSTM: 41 MB in float64) hold no copies of them.

    ϕ's initialisation and shuffling are a function of (seed, key) alone.
    """

    inputs: np.ndarray  # (E, ..., n_in)
    targets: np.ndarray  # (E, ..., n_out)
    train: np.ndarray  # indices into the first axis
    validation: np.ndarray
    x: np.ndarray  # (..., n_in) states to map once ϕ is fitted
    key: int = 0

    @classmethod
    def from_rows(
        cls,
        x_train: np.ndarray,
        y_train: np.ndarray,
        x_validation: np.ndarray,
        y_validation: np.ndarray,
        x: np.ndarray,
        key: int = 0,
    ) -> Regression:
        """The regression of training and validation pairs given as rows (m, n)."""
        m = len(x_train)
        return cls(
            np.concatenate([x_train, x_validation]),
            np.concatenate([y_train, y_validation]),
            np.arange(m),
            np.arange(m, m + len(x_validation)),
            x,
            key,
        )

    @property
    def x_train(self) -> np.ndarray:
        return _flat(self.inputs, self.train)

    @property
    def y_train(self) -> np.ndarray:
        return _flat(self.targets, self.train)

    @property
    def x_validation(self) -> np.ndarray:
        return _flat(self.inputs, self.validation)

    @property
    def y_validation(self) -> np.ndarray:
        return _flat(self.targets, self.validation)

    @property
    def shape(self) -> tuple:
        """What ϕs must share to be trained side by side."""
        rows = math.prod(self.inputs.shape[1:-1])
        return (
            len(self.train) * rows,
            len(self.validation) * rows,
            self.inputs.shape[-1],
            self.targets.shape[-1],
            self.x.shape,
        )


STACK_MAX_HIDDEN = 128
"""ϕs with wider hidden layers are fitted one at a time (:func:`fit_embeddings`)."""


def fit_embeddings(
    problems: Sequence[Regression],
    settings: EmbeddingSettings,
    seed: int,
    max_stack: int | None = None,
) -> list[tuple[np.ndarray, int]]:
    """Regress y on x with an MLP ϕ per problem, by Adam on the squared error, with early
    stopping; return ϕ(x) and the epochs trained, per problem (:func:`iter_embeddings`)."""
    fits: list = [None] * len(problems)
    for index, fit in iter_embeddings(problems, settings, seed, max_stack):
        fits[index] = fit
    return fits


def iter_embeddings(
    problems: Sequence[Regression],
    settings: EmbeddingSettings,
    seed: int,
    max_stack: int | None = None,
) -> Iterator[tuple[int, tuple[np.ndarray, int]]]:
    """(index of the problem, (ϕ(x), epochs trained)) for every problem, as its stack is done.

    Each ϕ trains until its validation error has not improved for ``patience`` epochs (or
    ``max_epochs``), and the parameters of its best epoch are kept. Problems of one shape are
    trained side by side as one stack of MLPs (:class:`_MLPStack`), at most ``max_stack`` at
    a time: on one core the small ϕs of prediction tasks (64 units) cost per-operation
    overhead, which a stack shares (1.5–3.2× faster than one ``nn.Sequential`` at a time,
    ``benchmarks/phi_fits.py``), while wide ones (256 units, bandits) are products that run
    as fast alone: stacked they were no faster (0.8–0.95× against 0.87–1.1× singly, within
    the noise of a shared machine) and hold a stack's worth of activations, so by default ϕs
    wider than :data:`STACK_MAX_HIDDEN` are fitted one at a time. A ϕ's numbers depend
    neither on which other problems are fitted with it nor on the stack size (tested bit for
    bit). A caller that uses each ϕ(x) as it comes and lets it go holds one stack's at a
    time (the bandits' full-state ϕs map 10 000 states into 512 numbers each).
    """
    if max_stack is None:
        max_stack = 1 if settings.hidden_size > STACK_MAX_HIDDEN else len(problems)
    groups: dict[tuple, list[int]] = {}
    for index, problem in enumerate(problems):
        groups.setdefault(problem.shape, []).append(index)
    for indices in groups.values():
        for start in range(0, len(indices), max_stack):
            stack = indices[start : start + max_stack]
            fits = _fit_stack([problems[i] for i in stack], settings, seed)
            yield from zip(stack, fits, strict=True)


class _MLPStack:
    """F MLPs of one shape, each parameter stacked as an (F, L) tensor, a network per row.

    A row's length L is a multiple of :data:`metabayes.stack.SLOT` floats, so the kernels
    treat a network's entries alike whatever F is; Adam (``torch.optim.Adam``'s update,
    without weight decay) acts on the rows elementwise.
    """

    def __init__(self, nets: Sequence[nn.Sequential]):
        layers = [[m for m in net if isinstance(m, nn.Linear)] for net in nets]
        self.shapes = [tuple(layer.weight.shape) for layer in layers[0]]
        self.params = []
        for index, (n_out, n_in) in enumerate(self.shapes):
            for numel, name in ((n_out * n_in, "weight"), (n_out, "bias")):
                data = torch.zeros(len(nets), slot_length(numel))
                for k, net_layers in enumerate(layers):
                    data[k, :numel] = getattr(net_layers[index], name).detach().flatten()
                self.params.append(data.requires_grad_())
        self.moments = [(torch.zeros_like(p), torch.zeros_like(p)) for p in self.params]
        self.steps = 0

    def forward(self, x: torch.Tensor, params: list[torch.Tensor] | None = None) -> torch.Tensor:
        """x (F, m, n_in) → (F, m, n_out): ReLU after every layer but the last."""
        params = self.params if params is None else params
        for index, (n_out, n_in) in enumerate(self.shapes):
            weight, bias = params[2 * index], params[2 * index + 1]
            weight = weight[:, : n_out * n_in].view(-1, n_out, n_in)
            x = stacked_linear(x, weight, bias[:, :n_out])
            if index < len(self.shapes) - 1:
                x = torch.relu(x)
        return x

    @torch.no_grad()
    def adam_step(self, lr: float, betas=(0.9, 0.999), eps: float = 1e-8) -> None:
        """One step of Adam on every row (torch.optim.Adam's update, written out)."""
        self.steps += 1
        correction = math.sqrt(1 - betas[1] ** self.steps)
        step = -lr / (1 - betas[0] ** self.steps)
        for param, (first, second) in zip(self.params, self.moments, strict=True):
            grad = param.grad
            first.lerp_(grad, 1 - betas[0])
            second.mul_(betas[1]).addcmul_(grad, grad, value=1 - betas[1])
            param.addcdiv_(first, (second.sqrt() / correction).add_(eps), value=step)
            param.grad = None

    def snapshot(self) -> list[torch.Tensor]:
        """A copy of the parameters, for :meth:`forward`."""
        return [param.detach().clone() for param in self.params]

    def keep(self, rows: list[int]) -> None:
        """Drop every network but ``rows`` (optimiser state included)."""
        self.params = [param.detach()[rows].requires_grad_() for param in self.params]
        self.moments = [(first[rows], second[rows]) for first, second in self.moments]


def _fit_stack(
    problems: Sequence[Regression], settings: EmbeddingSettings, seed: int
) -> list[tuple[np.ndarray, int]]:
    """:func:`fit_embeddings` for problems of one shape, trained as one :class:`_MLPStack`."""

    def stacked(name: str) -> torch.Tensor:
        """One of the problems' arrays, side by side in float32, cut out one at a time."""
        arrays = (getattr(problem, name) for problem in problems)
        first = next(arrays)
        rows = torch.empty((len(problems), *first.shape), dtype=torch.float32)
        side_by_side = rows.numpy()  # NumPy's cast to float32 rounds as torch's does
        side_by_side[0] = first
        for k, array in enumerate(arrays, start=1):
            side_by_side[k] = array
        return rows

    data = [stacked(name) for name in ("x_train", "y_train", "x_validation", "y_validation")]
    n_in, n_out = data[0].shape[-1], data[1].shape[-1]
    nets = []
    for problem in problems:
        with seeded_torch(seed, "structure", problem.key):
            nets.append(embedding_network(n_in, n_out, settings))
    stack = _MLPStack(nets)
    shuffles = [
        torch.Generator().manual_seed(torch_seed(seed, "structure", problem.key))
        for problem in problems
    ]
    F, m = len(problems), data[0].shape[1]
    best_error, waited, epochs = [np.inf] * F, [0] * F, [0] * F
    best = stack.snapshot()
    active = list(range(F))  # the networks still training, in stack order; data holds theirs
    while active:
        x, y, x_val, y_val = data
        orders = torch.stack([torch.randperm(m, generator=shuffles[k]) for k in active])
        rows = torch.arange(len(active))[:, None]
        for batch in orders.split(settings.batch_size, dim=1):
            prediction = stack.forward(x[rows, batch])
            torch.mean((prediction - y[rows, batch]) ** 2, dim=(1, 2)).sum().backward()
            stack.adam_step(settings.learning_rate)
        with torch.no_grad():
            validation = torch.mean((stack.forward(x_val) - y_val) ** 2, dim=(1, 2)).tolist()
        for row, k in enumerate(active):
            epochs[k] += 1
            if validation[row] < best_error[k]:
                best_error[k], waited[k] = validation[row], 0
                for kept, param in zip(best, stack.params, strict=True):
                    kept[k] = param[row].detach()
            elif not np.isfinite(validation[row]):
                raise FloatingPointError(
                    f"ϕ training diverged: validation error {validation[row]} at epoch {epochs[k]}"
                )
            else:
                waited[k] += 1
        still = [
            row
            for row, k in enumerate(active)
            if epochs[k] < settings.max_epochs and waited[k] < settings.patience
        ]
        if len(still) < len(active):
            stack.keep(still)
            data = [tensor[still] for tensor in data]
            active = [active[row] for row in still]
    with torch.no_grad():
        mapped = stack.forward(stacked("x").reshape(F, -1, n_in), best)
    return [
        (mapped[k].double().numpy().reshape(*problem.x.shape[:-1], -1), epochs[k])
        for k, problem in enumerate(problems)
    ]


@dataclass
class Machine:
    """One agent along the reference traces.

    ``emit`` is its output function on arbitrary states (..., S) → (..., P); it brings
    states into the machine's valid domain first (reconstructed states may leave it).
    """

    states: np.ndarray  # (K, T, S)
    outputs: np.ndarray  # (K, T, P), emitted at ``states``
    emit: Callable[[np.ndarray], np.ndarray]
    _coordinates: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def coordinates(self, episodes: np.ndarray, n: int | None) -> tuple[Whitening, np.ndarray]:
        """A :class:`Whitening` fitted on the states of ``episodes`` (on the first n
        principal components, or with n None every unit standardised) and all the states in
        it, (K, T, ·). Kept: the comparisons of a run under several analysis variants share
        them, and a bandit LSTM's full state in these coordinates is 41 MB. Read-only, since
        shared."""
        key = (np.asarray(episodes).tobytes(), n)
        if key not in self._coordinates:
            train = _flat(self.states, episodes)
            coding = Whitening.standardise(train) if n is None else Whitening.fit(train, n)
            states = coding.transform(self.states)
            states.flags.writeable = False
            self._coordinates[key] = coding, states
        return self._coordinates[key]


OutputDissimilarity = Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[float, float]]
"""(Opt-side outputs, RNN-side outputs, episode indices) → (D_o, its standard error over the
episodes); outputs (k, T, P)."""


@dataclass
class Simulation:
    """One embedding direction: its scores and, for every episode, the embedded states."""

    d_s: float
    d_o: float
    d_o_se: float  # standard error of D_o over the held-out episodes
    embedded: np.ndarray  # (K, T, n) ϕ(simulated state) in the simulating machine's first n
    # whitened principal components
    outputs: np.ndarray  # (K, T, P) the simulating machine's output at the embedded state
    epochs: int


@dataclass
class Comparison:
    """Both directions between Opt and the RNN, with the projections they work in."""

    opt: Whitening
    rnn: Whitening  # the RNN coordinates ϕ reads and writes (m components, or the full state)
    projected: dict[str, np.ndarray]  # "opt", "rnn" → (K, T, n) first n whitened components
    simulations: dict[str, Simulation]  # DIRECTIONS → Simulation
    rnn_truncation_d_o: float  # the dissimilarity of the RNN's outputs at its own states and at
    # their reconstruction from the RNN coordinates (RNN outputs in both slots): what no ϕ
    # into them can undo


def compare(
    opt: Machine,
    rnn: Machine,
    split: Split,
    settings: EmbeddingSettings,
    dissimilarity: OutputDissimilarity,
    seed: int,
    rnn_components: int | None = None,
    rnn_full_state: bool = False,
    full_state_target: bool = False,
) -> Comparison:
    """D_s and D_o in both directions between a Bayes-optimal agent and a meta-learner.

    ϕ reads and writes Opt's states whitened on all n of their dimensions (n = the Bayes
    state dimension) and the RNN's whitened on its first m principal components, or its full
    state standardised per unit. D_s is always scored in the simulating machine's first n
    whitened principal components (also what Figure 3 draws), so that it is comparable
    across these choices.

    Args:
        opt, rnn: the two machines on the same reference inputs (same K, T).
        split: train / validation / test episodes.
        settings: ϕ and its training.
        dissimilarity: D_o between outputs of the Opt side and of the RNN side, whichever
            machine emits them (eq. 2 or eq. 3 form).
        seed: seeds ϕ's initialisation and shuffling (one stream per direction).
        rnn_components, rnn_full_state, full_state_target: the RNN coordinates and where ϕ
            lands (:class:`PendingComparison`).
    """
    pending = PendingComparison(
        opt, rnn, split, dissimilarity, rnn_components, rnn_full_state, full_state_target
    )
    fits = fit_embeddings([pending.regression(d) for d in DIRECTIONS], settings, seed)
    return pending.finish(
        {
            d: pending.simulation(d, z, epochs)
            for d, (z, epochs) in zip(DIRECTIONS, fits, strict=True)
        }
    )


class PendingComparison:
    """A comparison's coordinates, waiting for its ϕs (:func:`compare` in three steps).

    :meth:`regression` says what ϕ to fit in a direction, :meth:`simulation` scores a fitted
    ϕ, and :meth:`finish` assembles the :class:`Comparison`. The steps are apart so that a
    caller can fit the ϕs of many comparisons together (:func:`fit_embeddings`) and share a
    ϕ between comparisons that would fit the same one.

    Args:
        opt, rnn, split, dissimilarity: as :func:`compare`.
        rnn_components: m; n if None (the paper's choice), at most the RNN state dimension.
        rnn_full_state: the RNN side is its full state standardised per unit (m ignored):
            whitening all 2N principal components would blow the float32 noise of the
            directions the states do not use up to unit variance.
        full_state_target: in Opt → RNN, ϕ lands in the full RNN state, standardised per
            unit, and the RNN's output is read there; otherwise (the paper's §4.3) in the
            RNN's coordinates above, the output read at their reconstruction.
    """

    def __init__(
        self,
        opt: Machine,
        rnn: Machine,
        split: Split,
        dissimilarity: OutputDissimilarity,
        rnn_components: int | None = None,
        rnn_full_state: bool = False,
        full_state_target: bool = False,
    ):
        n = opt.states.shape[-1]
        self.machines = machines = {"opt": opt, "rnn": rnn}
        self.split, self.dissimilarity = split, dissimilarity
        scored = {name: machine.coordinates(split.train, n) for name, machine in machines.items()}
        self.scores = {name: coding for name, (coding, _) in scored.items()}
        self.projected = {name: states for name, (_, states) in scored.items()}
        full = rnn.coordinates(split.train, None) if rnn_full_state or full_state_target else None
        if rnn_full_state:
            rnn_coded = full
        elif (rnn_components or n) == n:
            rnn_coded = scored["rnn"]
        else:
            rnn_coded = rnn.coordinates(split.train, rnn_components)
        coded = {"opt": scored["opt"], "rnn": rnn_coded}
        self.codings = {name: coding for name, (coding, _) in coded.items()}
        self.coded = {name: states for name, (_, states) in coded.items()}
        landing = {**coded, "rnn": full} if full_state_target else coded
        self.targets = {name: coding for name, (coding, _) in landing.items()}
        self.goals = {name: states for name, (_, states) in landing.items()}

    def regression(self, direction: str) -> Regression:
        """ϕ in ``direction`` (:data:`DIRECTIONS`) as a regression problem."""
        source, target = direction.split("_to_")
        x, split = self.coded[source], self.split
        return Regression(
            x, self.goals[target], split.train, split.validation, x, key=DIRECTIONS.index(direction)
        )

    def simulation(self, direction: str, z: np.ndarray, epochs: int) -> Simulation:
        """Score ϕ's image z (K, T, ·) of every source state in ``direction``."""
        source, target = direction.split("_to_")
        coder = self.targets[target]
        states = coder.inverse(z)
        embedded = z if coder is self.scores[target] else self.scores[target].transform(states)
        outputs = self.machines[target].emit(states)
        own = self.machines[source].outputs
        test = self.split.test
        pair = (outputs, own) if target == "opt" else (own, outputs)
        d_o, d_o_se = self.dissimilarity(pair[0][test], pair[1][test], test)
        d_s = float(np.mean((embedded[test] - self.projected[target][test]) ** 2))
        return Simulation(d_s, d_o, d_o_se, embedded, outputs, epochs)

    def finish(self, simulations: dict[str, Simulation]) -> Comparison:
        """The comparison, given a simulation in every direction."""
        rnn, test = self.machines["rnn"], self.split.test
        truncated = rnn.emit(self.codings["rnn"].inverse(self.coded["rnn"]))
        floor, _ = self.dissimilarity(rnn.outputs[test], truncated[test], test)
        simulations = {d: simulations[d] for d in DIRECTIONS}
        return Comparison(
            self.scores["opt"], self.codings["rnn"], self.projected, simulations, floor
        )


def _flat(states: np.ndarray, episodes: np.ndarray) -> np.ndarray:
    """The states (K, T, S) of some episodes as rows (k T, S)."""
    return states[episodes].reshape(-1, states.shape[-1])
