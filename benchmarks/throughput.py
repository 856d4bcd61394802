"""Training throughput against what the core can do, in one process (run on demand).

Prints, for the training shapes of the config (or of --config overrides):

- the core's matrix-product rate (GFLOP/s) at the shapes that dominate each training loop,
  in fp32 and bf16;
- each training loop's rate: updates per second of one seed, the FLOP of one update (forward
  and backward of the meta-learner: 3 × the forward's multiply-adds × 2) and the achieved
  GFLOP/s, with its ratio to the fp32 product rate;
- the bandit loop with the LSTM's and the decoder's products in bfloat16
  (``bandit.precision``), timed in turn with the float32 one, and its speed-up over it;
- each stacked loop's matrix products alone (the largest stack; float32 for the bandit): their
  CPU time per update (torch.profiler's self time of the product operators), so the rate the
  loop would reach if everything else in it were free, and the rate at which the products
  themselves run inside the loop;
- the same loop written the plain way (``MetaLearner`` + ``nn.LSTM`` under autograd, one seed
  at a time, as the training code was before the stacked path), for the speed-up.

Each figure is the best of --repeats timings of --updates updates, so that a busy machine
disturbs it less; use ``--threads`` as the training jobs do (1).

    python benchmarks/throughput.py                          # paper-scale shapes
    python benchmarks/throughput.py --stack 1 2 5 10 --repeats 5
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import torch
from torch.profiler import profile

from metabayes.config import load_config
from metabayes.rng import numpy_rng
from metabayes.rnn import MetaLearner
from metabayes.settings import Settings
from metabayes.stack import StackedMetaLearner
from metabayes.tasks import PREDICTION_TASKS
from metabayes.tasks.bandit import BANDIT_TASKS, action_uniforms
from metabayes.training import bandit, prediction
from metabayes.training.bandit import actor_critic_loss, build_bandit_agent, play_batch
from metabayes.training.common import gradient_step, reuse_freed_memory
from metabayes.training.prediction import build_predictor

PREDICTION_TASK = "gaussian_normal_gamma_1"
BANDIT_TASK = "bernoulli_bandit_beta_1_1"


def best_seconds(run: Callable[[], None], repeats: int) -> float:
    """The shortest of ``repeats`` timings of ``run`` (after one untimed warm-up call)."""
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def best_seconds_interleaved(runs: dict[str, Callable[[], None]], repeats: int) -> dict:
    """:func:`best_seconds` of each run, its timings taken in turn with the others', so that
    a change in the machine's speed during the benchmark affects them alike."""
    for run in runs.values():
        run()
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def gemm_rate(m: int, k: int, n: int, dtype: torch.dtype, repeats: int) -> float:
    """GFLOP/s of (m × k) @ (k × n) products."""
    a, b = torch.randn(m, k, dtype=dtype), torch.randn(k, n, dtype=dtype)
    calls = max(1, int(2e8 // (2 * m * k * n)))

    def run():
        for _ in range(calls):
            torch.mm(a, b)

    return 2 * m * k * n * calls / best_seconds(run, repeats) / 1e9


PRODUCTS = ("aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm", "aten::baddbmm_")
"""The matrix-product operators of the training loops."""


def product_seconds(run: Callable[[], None], calls: int, repeats: int) -> float:
    """CPU seconds per call of ``run`` spent in matrix products, the least of ``repeats``
    profiled runs: the profiler's self time of :data:`PRODUCTS` (without the copy of an addend
    into a product's result), whose per-operation overhead is small beside products of these
    sizes. ``run`` makes ``calls`` calls."""
    run()
    seconds = []
    for _ in range(repeats):
        with profile() as measured:
            run()
        events = measured.key_averages()
        seconds.append(sum(e.self_cpu_time_total for e in events if e.key in PRODUCTS) / 1e6)
    return min(seconds) / calls


def update_flop(net: MetaLearner, batch: int, steps: int) -> float:
    """Multiply-add FLOP of one update: forward (2 per multiply-add) and backward (twice that)."""
    n_in, N = net.encoder.in_features, net.hidden_size
    per_step = n_in * N + 2 * N * 4 * N + N * N + N * net.readout.out_features
    if net.value is not None:
        per_step += N
    return 3 * 2 * per_step * batch * steps


def prediction_loops(settings, stacks, updates, repeats) -> tuple[list[tuple[str, float]], float]:
    """Seed-updates per second of the stacked loop for each stack size, and of the plain loop;
    and the seed-updates per second of the largest stack's products alone."""
    task = PREDICTION_TASKS[PREDICTION_TASK]
    T, B = settings.episode_length, settings.batch_size
    rates = []
    for S in stacks:
        stack = StackedMetaLearner([build_predictor(task, settings.hidden_size) for _ in range(S)])
        optimiser = torch.optim.Adam(stack.parameters(), lr=settings.learning_rate)
        batches = [task.sample(numpy_rng(s, "data", 1), B, T) for s in range(S)]
        inputs, observations = prediction.stacked_batches(batches)

        def run(stack=stack, optimiser=optimiser, inputs=inputs, observations=observations):
            for _ in range(updates):
                losses = prediction.seed_log_losses(stack, task, inputs, observations)
                gradient_step(optimiser, losses, stack, settings.grad_clip)

        rates.append(
            (f"stacked, {S} seed{'s' * (S > 1)}", S * updates / best_seconds(run, repeats))
        )
        if S == max(stacks):
            ceiling = S / product_seconds(run, updates, repeats)

    net = build_predictor(task, settings.hidden_size)
    optimiser = torch.optim.Adam(net.parameters(), lr=settings.learning_rate)
    batch = task.sample(numpy_rng(0, "data", 1), B, T)
    inputs, observations = (torch.as_tensor(x).float() for x in (batch.inputs, batch.observations))

    def plain():
        for _ in range(updates):
            raw, _, _ = net(inputs)  # the loss as the per-seed loop computed it
            loss = -task.model.family.log_prob(raw, observations).sum(dim=1).mean()
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), settings.grad_clip)
            optimiser.step()

    rates.append(("plain autograd (before)", updates / best_seconds(plain, repeats)))
    return rates, ceiling


def bandit_loops(settings, updates, repeats) -> tuple[list[tuple[str, float]], float]:
    """Updates per second of the stacked bandit loop (one seed), with float32 and bfloat16
    products (``bandit.precision``), and of the plain one; and the updates per second of the
    float32 loop's products alone."""
    task = BANDIT_TASKS[BANDIT_TASK]
    shape = (settings.batch_size, settings.episode_length)
    episodes = task.sample(numpy_rng(0, "data", 1), *shape)
    uniforms = action_uniforms(numpy_rng(0, "actions", 1), *shape)

    def stacked(products: torch.dtype) -> Callable[[], None]:
        stack = StackedMetaLearner([build_bandit_agent(task, settings.hidden_size)])
        optimiser = torch.optim.Adam(stack.parameters(), lr=settings.learning_rate)

        def run():
            for _ in range(updates):
                game = play_batch(stack, [episodes], [uniforms], products)
                losses = actor_critic_loss(
                    game, task.gamma, settings.entropy_cost, settings.value_cost
                )
                gradient_step(optimiser, losses, stack, settings.grad_clip)

        return run

    net = build_bandit_agent(task, settings.hidden_size)
    plain_optimiser = torch.optim.Adam(net.parameters(), lr=settings.learning_rate)
    table = torch.as_tensor(episodes.rewards, dtype=torch.float32)
    u = torch.as_tensor(uniforms, dtype=torch.float32)

    def plain():
        for _ in range(updates):
            x, state, log_probs, values, actions, rewards = (
                torch.zeros(shape[0], 3),
                None,
                [],
                [],
                [],
                [],
            )
            for t in range(shape[1]):
                logits, value, state = net.step(x, state)
                log_p = torch.log_softmax(logits, dim=-1)
                action = (u[:, t] < log_p[:, 1].detach().exp()).long()
                reward = table[:, t].gather(1, action[:, None])[:, 0]
                x = torch.cat([torch.nn.functional.one_hot(action, 2).float(), reward[:, None]], -1)
                log_probs.append(log_p), values.append(value), actions.append(action)
                rewards.append(reward)
            game = bandit.BatchGame(
                *(torch.stack(xs, dim=1)[None] for xs in (log_probs, values, actions, rewards))
            )
            loss = actor_critic_loss(game, task.gamma, settings.entropy_cost, settings.value_cost)
            plain_optimiser.zero_grad()
            loss.sum().backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), settings.grad_clip)
            plain_optimiser.step()

    runs = {
        "stacked, 1 seed": stacked(torch.float32),
        "stacked, bfloat16 products": stacked(torch.bfloat16),
        "plain autograd (before)": plain,
    }
    seconds = best_seconds_interleaved(runs, repeats)
    ceiling = 1 / product_seconds(runs["stacked, 1 seed"], updates, repeats)
    return [(label, updates / seconds[label]) for label in runs], ceiling


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default="config.yaml")
    parser.add_argument("--stack", type=int, nargs="+", default=[1, 2, 5, 10])
    parser.add_argument("--updates", type=int, default=0, help="0: about 2 s per timing")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    reuse_freed_memory()  # as the training jobs do
    settings = Settings.from_config(load_config([args.config]))
    T = settings.evaluation.episode_length
    p, b = settings.training["prediction"], settings.training["bandit"]
    capability = torch.backends.cpu.get_cpu_capability()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), {capability}")
    print("\nmatrix products, GFLOP/s (best of repeats)")
    N, M = b.hidden_size, T * b.batch_size
    shapes = {  # (m, k, n): the LSTM's per-step product and its weight gradient; prediction's
        f"bandit step  ({b.batch_size}x{N})@({N}x{4 * N})": (b.batch_size, N, 4 * N),
        f"bandit grads ({4 * N}x{M})@({M}x{N})": (4 * N, M, N),
        f"prediction step ({p.batch_size}x{p.hidden_size})@({p.hidden_size}x{4 * p.hidden_size})": (
            p.batch_size,
            p.hidden_size,
            4 * p.hidden_size,
        ),
    }
    fp32 = {}
    for name, (m, k, n) in shapes.items():
        fp32[name] = gemm_rate(m, k, n, torch.float32, args.repeats)
        bf16 = gemm_rate(m, k, n, torch.bfloat16, args.repeats)
        print(f"  {name:44s} fp32 {fp32[name]:7.1f}   bf16 {bf16:7.1f}  ({bf16 / fp32[name]:.2f}x)")
    reference = max(fp32[k] for k in list(fp32)[:2])

    def report(title, net, settings, rates, ceiling, peak):
        flop = update_flop(net, settings.batch_size, T)
        print(f"\n{title}: {flop / 1e9:.3f} GFLOP per update; fp32 product rate {peak:.1f} GFLOP/s")
        for label, rate in rates:
            achieved = rate * flop / 1e9
            print(
                f"  {label:26s} {rate:8.1f} updates/s per seed  {achieved:6.1f} GFLOP/s"
                f"  {achieved / peak:5.0%} of the product rate  {rate / rates[-1][1]:5.2f}x plain"
            )
        products = ceiling * flop / 1e9
        label = "its products alone"
        print(
            f"  {label:26s} {ceiling:8.1f} updates/s per seed  {products:6.1f} GFLOP/s"
            f"  {products / peak:5.0%} of the product rate: the loop's ceiling"
        )

    task = PREDICTION_TASKS[PREDICTION_TASK]
    updates = args.updates or 50
    rates, ceiling = prediction_loops(p, args.stack, updates, args.repeats)
    report(
        f"prediction ({PREDICTION_TASK}, N = {p.hidden_size})",
        build_predictor(task, p.hidden_size),
        p,
        rates,
        ceiling,
        fp32[list(fp32)[2]],
    )
    rates, ceiling = bandit_loops(b, args.updates or 3, args.repeats)
    report(
        f"bandit ({BANDIT_TASK}, N = {b.hidden_size})",
        build_bandit_agent(BANDIT_TASKS[BANDIT_TASK], b.hidden_size),
        b,
        rates,
        ceiling,
        reference,
    )
    speed = dict(rates)
    ratio = speed["stacked, bfloat16 products"] / speed["stacked, 1 seed"]
    print(f"  bfloat16 products / float32: {ratio:.2f}x")


if __name__ == "__main__":
    main()
