"""Structural comparison by approximate simulation (paper §2, §3.4, §4.3).

A machine M *simulates* a machine N if some map ϕ from N's states into M's states turns every
trace of N into a trace of M on which the outputs agree. Approximately, along reference
traces (the same inputs to both machines):

1. each machine's states (K, T, S) are projected onto their first principal components and
   whitened (:class:`Whitening`), fitted on the training episodes: all n of Opt's (n = the
   Bayes state dimension) and, as the paper, n of the RNN's (or m ≥ n, or the RNN's full
   state standardised per unit: analysis choices, :func:`compare`);
2. ϕ, an MLP, is regressed from N's coordinates onto M's on the training episodes,
   stopping early on the validation episodes (:func:`fit_embedding`);
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

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from metabayes.rng import numpy_rng, seeded_torch, torch_seed

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
class EmbeddingSettings:
    """The MLP ϕ and its training (config block ``structure``)."""

    hidden_size: int  # units of each hidden layer (SPEC §6: 64 prediction, 256 bandits)
    n_layers: int = 3  # hidden layers (SPEC §6: 3)
    learning_rate: float = 1e-3  # Adam step size
    batch_size: int = 256  # states per update
    max_epochs: int = 500  # passes over the training states at most
    patience: int = 20  # epochs without a better validation error before stopping


@dataclass(frozen=True)
class Split:
    """Episode indices of the three parts of the reference traces."""

    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray


def split_episodes(n_episodes: int, fractions: tuple[float, float, float], seed: int) -> Split:
    """A random partition of episodes in the given proportions (train, validation, test)."""
    order = numpy_rng(seed, "structure").permutation(n_episodes)
    n_train = round(fractions[0] * n_episodes)
    n_validation = round(fractions[1] * n_episodes)
    if min(n_train, n_validation, n_episodes - n_train - n_validation) < 1:
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


def fit_embedding(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_validation: np.ndarray,
    y_validation: np.ndarray,
    settings: EmbeddingSettings,
    seed: int,
    key: int = 0,
) -> tuple[Callable[[np.ndarray], np.ndarray], int]:
    """Regress y on x with an MLP by Adam on the squared error, with early stopping.

    Training stops when the validation error has not improved for ``patience`` epochs;
    the parameters of the best epoch are kept. Initialisation and shuffling are a function
    of (seed, key).

    Args:
        x_train, y_train: (m, n_in) and (m, n_out).
        x_validation, y_validation: held-out pairs for early stopping.

    Returns:
        ϕ as a function of arrays (..., n_in) → (..., n_out), and the epochs trained.
    """
    x, y = (torch.as_tensor(a, dtype=torch.float32) for a in (x_train, y_train))
    x_val, y_val = (torch.as_tensor(a, dtype=torch.float32) for a in (x_validation, y_validation))
    with seeded_torch(seed, "structure", key):
        net = embedding_network(x.shape[1], y.shape[1], settings)
    optimiser = torch.optim.Adam(net.parameters(), lr=settings.learning_rate)
    shuffle = torch.Generator().manual_seed(torch_seed(seed, "structure", key))
    best, best_state, waited, epochs = np.inf, None, 0, 0
    while epochs < settings.max_epochs and waited < settings.patience:
        epochs += 1
        for batch in torch.randperm(len(x), generator=shuffle).split(settings.batch_size):
            loss = torch.mean((net(x[batch]) - y[batch]) ** 2)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        with torch.no_grad():
            error = torch.mean((net(x_val) - y_val) ** 2).item()
        if error < best:
            best, best_state, waited = error, {k: v.clone() for k, v in net.state_dict().items()}, 0
        elif not np.isfinite(error):
            raise FloatingPointError(
                f"ϕ training diverged: validation error {error} at epoch {epochs}"
            )
        else:
            waited += 1
    net.load_state_dict(best_state)

    @torch.no_grad()
    def phi(states: np.ndarray) -> np.ndarray:
        flat = torch.as_tensor(states.reshape(-1, states.shape[-1]), dtype=torch.float32)
        return net(flat).double().numpy().reshape(*states.shape[:-1], -1)

    return phi, epochs


@dataclass
class Machine:
    """One agent along the reference traces.

    ``emit`` is its output function on arbitrary states (..., S) → (..., P); it brings
    states into the machine's valid domain first (reconstructed states may leave it).
    """

    states: np.ndarray  # (K, T, S)
    outputs: np.ndarray  # (K, T, P), emitted at ``states``
    emit: Callable[[np.ndarray], np.ndarray]


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
    reuse: dict[str, Simulation] | None = None,
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
        rnn_components: m; n if None (the paper's choice), at most the RNN state dimension.
        rnn_full_state: the RNN side is its full state standardised per unit (m ignored):
            whitening all 2N principal components would blow the float32 noise of the
            directions the states do not use up to unit variance.
        full_state_target: in Opt → RNN, ϕ lands in the full RNN state, standardised per
            unit, and the RNN's output is read there; otherwise (the paper's §4.3) in the
            RNN's coordinates above, the output read at their reconstruction.
        reuse: simulations already computed for a direction under the same inputs (the
            caller's promise), taken as they are instead of fitting ϕ again.
    """
    n = opt.states.shape[-1]
    machines = {"opt": opt, "rnn": rnn}
    train = {name: _flat(machine.states, split.train) for name, machine in machines.items()}
    scores = {name: Whitening.fit(train[name], n) for name in machines}
    projected = {name: scores[name].transform(machine.states) for name, machine in machines.items()}
    full = Whitening.standardise(train["rnn"]) if rnn_full_state or full_state_target else None
    if rnn_full_state:
        rnn_coding = full
    elif (rnn_components or n) == n:
        rnn_coding = scores["rnn"]
    else:
        rnn_coding = Whitening.fit(train["rnn"], rnn_components)
    codings = {"opt": scores["opt"], "rnn": rnn_coding}
    coded = {name: codings[name].transform(machine.states) for name, machine in machines.items()}
    targets = {**codings, "rnn": full} if full_state_target else codings
    simulations = dict(reuse or {})
    for key, direction in enumerate(DIRECTIONS):
        if direction in simulations:
            continue
        source, target = direction.split("_to_")
        coder = targets[target]
        goal = (
            coded[target] if coder is codings[target] else coder.transform(machines[target].states)
        )
        z, epochs = _embed(coded[source], goal, split, settings, seed, key)
        states = coder.inverse(z)
        embedded = z if coder is scores[target] else scores[target].transform(states)
        outputs = machines[target].emit(states)
        own = machines[source].outputs
        test = split.test
        pair = (outputs, own) if target == "opt" else (own, outputs)
        d_o, d_o_se = dissimilarity(pair[0][test], pair[1][test], test)
        d_s = float(np.mean((embedded[test] - projected[target][test]) ** 2))
        simulations[direction] = Simulation(d_s, d_o, d_o_se, embedded, outputs, epochs)
    truncated = rnn.emit(codings["rnn"].inverse(coded["rnn"]))
    floor, _ = dissimilarity(rnn.outputs[split.test], truncated[split.test], split.test)
    return Comparison(scores["opt"], codings["rnn"], projected, simulations, floor)


def _flat(states: np.ndarray, episodes: np.ndarray) -> np.ndarray:
    """The states (K, T, S) of some episodes as rows (k T, S)."""
    return states[episodes].reshape(-1, states.shape[-1])


def _embed(source, target, split: Split, settings, seed, key) -> tuple[np.ndarray, int]:
    """Fit ϕ: source → target (both (K, T, n)) and apply it to every episode."""

    phi, epochs = fit_embedding(
        _flat(source, split.train),
        _flat(target, split.train),
        _flat(source, split.validation),
        _flat(target, split.validation),
        settings,
        seed,
        key,
    )
    return phi(source), epochs
