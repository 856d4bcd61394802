"""Run the meta-learner's checkpoints and the Bayes-optimal agents on the same episodes."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import torch

from metabayes.agents import BayesOptimalPredictor, RNNAgent, rollout
from metabayes.bandits.agents import DynamicProgrammingAgent, GittinsAgent, RandomAgent
from metabayes.bandits.games import Game, play
from metabayes.families import Categorical
from metabayes.rng import numpy_rng
from metabayes.rnn import MetaLearner
from metabayes.tasks import Episodes, PredictionTask
from metabayes.tasks.bandit import N_ARMS, BanditEpisodes, BanditTask, action_uniforms
from metabayes.traces import AgentTrace, Trace
from metabayes.training.checkpoints import COMPARED, Checkpoints, checkpoint_label


def evaluation_episodes(
    task: PredictionTask | BanditTask, n_episodes: int, T: int, seed: int
) -> Episodes | BanditEpisodes:
    """The fixed evaluation episodes: the same for every agent and every training seed."""
    return task.sample(numpy_rng(seed, "evaluation"), n_episodes, T)


def evaluation_uniforms(n_episodes: int, T: int, seed: int) -> np.ndarray:
    """The fixed action uniforms of the bandit evaluation episodes, shared by every agent."""
    return action_uniforms(numpy_rng(seed, "actions"), n_episodes, T)


def prediction_trace(
    task: PredictionTask,
    checkpoints: Checkpoints,
    episodes: Episodes,
    build: Callable[[], MetaLearner],
) -> Trace:
    """Outputs and states of every checkpoint (networks from ``build``) and of the
    Bayes-optimal predictor."""
    family, model = task.model.family, task.model
    outputs, states = rollout(BayesOptimalPredictor(model), episodes.inputs)
    opt = AgentTrace(outputs, states, family.param_names, model.stats_names)
    rnn = {}
    for label, update, net in checkpoint_networks(checkpoints, build):
        outputs, states = rollout(RNNAgent(net, family), episodes.inputs)
        state_names = _lstm_state_names(net.hidden_size)
        rnn[label] = AgentTrace(outputs, states, family.param_names, state_names, update)
    return Trace(
        task=task.name,
        seed=checkpoints.seed,
        theta=episodes.theta,
        observations=episodes.observations,
        inputs=episodes.inputs,
        opt=opt,
        rnn=rnn,
    )


def bandit_trace(
    task: BanditTask,
    checkpoints: Checkpoints,
    episodes: BanditEpisodes,
    uniforms: np.ndarray,
    gittins: GittinsAgent,
    build: Callable[[], MetaLearner],
) -> Trace:
    """Every agent playing the evaluation episodes, and Opt fed each checkpoint's stream.

    The Gittins agent (Opt), the finite-horizon DP agent, the random agent and every
    checkpoint of the meta-learner each play the same reward tables with the same action
    uniforms (:func:`metabayes.bandits.games.play`). For each checkpoint the Gittins agent
    also reads the inputs the meta-learner generated (paper §4.3), giving its states and
    action probabilities along the meta-learner's own trajectories. The meta-learner's own
    states are kept for the :data:`~metabayes.training.checkpoints.COMPARED` checkpoints
    only (at N = 256 every checkpoint's states would take 20 MB each per run).
    """
    T = episodes.rewards.shape[1]
    names = {"output_names": ("p_arm0", "p_arm1"), "state_names": task.state_names}
    opt = _game_trace(play(gittins, task, episodes, uniforms), **names)
    baselines = {
        name: _game_trace(play(agent, task, episodes, uniforms), **names)
        for name, agent in [
            ("dp", DynamicProgrammingAgent(task, horizon=T)),
            ("random", RandomAgent(task)),
        ]
    }
    rnn = {}
    for label, update, net in checkpoint_networks(checkpoints, build):
        game = play(RNNAgent(net, Categorical(N_ARMS)), task, episodes, uniforms)
        state_names = _lstm_state_names(net.hidden_size)
        trace = _game_trace(game, names["output_names"], state_names, update)
        if label not in COMPARED:
            trace.states = None
        trace.values = _values(net, game.inputs)
        outputs, states = rollout(gittins, game.inputs)
        trace.opt = AgentTrace(outputs, states, **names)
        rnn[label] = trace
    return Trace(
        task=task.name,
        seed=checkpoints.seed,
        theta=episodes.theta,
        reward_table=episodes.rewards,
        uniforms=uniforms,
        opt=opt,
        baselines=baselines,
        rnn=rnn,
    )


def checkpoint_networks(
    checkpoints: Checkpoints, build: Callable[[], MetaLearner]
) -> Iterator[tuple[str, int, MetaLearner]]:
    """(label, update, network with that checkpoint's parameters), in training order."""
    final = checkpoints.updates[-1]
    for update in checkpoints.updates:
        net = build()
        net.load_state_dict(checkpoints.states[update])
        yield checkpoint_label(update, final), update, net


def _game_trace(game: Game, output_names, state_names, update: int | None = None) -> AgentTrace:
    return AgentTrace(
        outputs=game.probabilities,
        states=game.states,
        output_names=tuple(output_names),
        state_names=tuple(state_names),
        update=update,
        inputs=game.inputs,
        actions=game.actions,
        rewards=game.rewards,
    )


def _values(net, inputs: np.ndarray) -> np.ndarray:
    """The value head's estimates along given inputs (K, T, 3) → (K, T)."""
    with torch.no_grad():
        _, values, _ = net(torch.as_tensor(inputs, dtype=torch.float32))
    return values.double().numpy()


def _lstm_state_names(hidden_size: int) -> tuple[str, ...]:
    return tuple(f"c{i}" for i in range(hidden_size)) + tuple(f"h{i}" for i in range(hidden_size))
