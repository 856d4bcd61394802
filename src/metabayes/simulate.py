"""Run the meta-learner's checkpoints and the Bayes-optimal agent on the same episodes."""

from __future__ import annotations

from metabayes.agents import BayesOptimalPredictor, RNNAgent, rollout
from metabayes.rng import numpy_rng
from metabayes.tasks import Episodes, PredictionTask
from metabayes.traces import AgentTrace, Trace
from metabayes.training.checkpoints import Checkpoints, checkpoint_label
from metabayes.training.prediction import build_predictor


def evaluation_episodes(task: PredictionTask, n_episodes: int, T: int, seed: int) -> Episodes:
    """The fixed evaluation episodes: the same for every agent and every training seed."""
    return task.sample(numpy_rng(seed, "evaluation"), n_episodes, T)


def prediction_trace(
    task: PredictionTask, checkpoints: Checkpoints, episodes: Episodes, hidden_size: int
) -> Trace:
    """Outputs and states of every checkpoint and of the Bayes-optimal predictor."""
    family, model = task.model.family, task.model
    outputs, states = rollout(BayesOptimalPredictor(model), episodes.inputs)
    opt = AgentTrace(outputs, states, family.param_names, model.stats_names)
    final = checkpoints.updates[-1]
    state_names = _lstm_state_names(hidden_size)
    rnn = {}
    for update in checkpoints.updates:
        net = build_predictor(task, hidden_size)
        net.load_state_dict(checkpoints.states[update])
        outputs, states = rollout(RNNAgent(net, family), episodes.inputs)
        label = checkpoint_label(update, final)
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


def _lstm_state_names(hidden_size: int) -> tuple[str, ...]:
    return tuple(f"c{i}" for i in range(hidden_size)) + tuple(f"h{i}" for i in range(hidden_size))
