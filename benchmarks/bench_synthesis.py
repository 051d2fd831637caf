"""Speed of input synthesis: every target × start in one call of ``ascend`` against a Python loop
over single starts of the same jitted step (issue 12).

    python benchmarks/bench_synthesis.py [--starts 1000] [--loop-subset 24] [--max-iter 2000] [--quick]

The thesis's procedure (Ch. 5, digest §5): starts uniform in [−0.05, 0.05], objective the softmax
probability of a class, x ← x + α ∂p_i/∂x with α = 10 (eq. 2.7, no regulariser), stop at
p > 0.999; here with a maximum-iteration guard, and the number of starts that hit it is printed.

- MLP: the jump study's 2-layer MLP (``jump_network('mlp2')``, 100-100-60), all 60 target classes
  × ``--starts`` starts (60,000 ascents by default) in one call.
- CNN: the jump study's 2-conv CNN (``jump_network('cnn2', 'relu')``: conv 5, conv 9, one filter
  each, dense 100→60), target position 50 (class 29) × ``--starts`` starts.

Both are trained briefly first (Adam, 1e-3, batch 100, on 6,000 fresh jump signals) so that
p > 0.999 is reachable; the speed depends on the number of steps the ascents take, which the script
prints beside each timing.

The loop baseline is what one writes with a one-objective tool: a jitted step for ONE example
(value and gradient of p_i, then x + α ∇x, the same arithmetic as ``ascend``'s step), called from
Python until p > 0.999 or the guard. It is timed on ``--loop-subset`` (target, start) pairs drawn at
random from the grid and extrapolated per start (time per pair × pairs); its step counts are
compared with the vectorised run's for the same pairs. The vectorised call is timed with
``loop='while'`` (one ``lax.while_loop``) and ``loop='host'`` (the same compiled step driven from
Python; ``loop='auto'`` picks it on the CPU); each after one warm-up call that compiles it.
Speed-ups are given by wall time and by process CPU time (all threads): on a shared machine the
wall time mostly measures the share of the cores the process got. Prints the device and the load
average. Never run in CI.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from jaxprobe.data.jumps import FIRST, make_jumps  # noqa: E402
from jaxprobe.probes import synthesis as sy  # noqa: E402
from jaxprobe.studies.jumps.networks import N_CLASSES, jump_network  # noqa: E402
from jaxprobe.train import fit  # noqa: E402

ALPHA = 10.0
THRESHOLD = 0.999


def trained(name: str, steps: int, seed: int = 0):
    """The jump network ``name`` after ``steps`` Adam steps on 6,000 jump signals; (net, params,
    test accuracy on 1,200 fresh signals)."""
    net = jump_network(name, "relu") if name.startswith("cnn") else jump_network(name)
    x, y = make_jumps(jax.random.key(seed), 100)
    res = fit(net, net.init(jax.random.key(seed + 1)), (x, y), key=jax.random.key(seed + 2), optimizer="adam",
              learning_rate=1e-3, batch_size=100, steps=steps, progress=False)
    tx, ty = make_jumps(jax.random.key(seed + 3), 20)
    accuracy = float(jnp.mean(jnp.argmax(net.apply(res.params, tx), -1) == ty))
    return net, res.params, accuracy


def single_start_loop(net, params, max_iter: int):
    """The baseline: ``run(target, start) -> (iterations, p)``, a Python loop over one jitted step
    that does what ``ascend``'s step does for one example: x ← x + α g, then (p, g) at the new x."""
    value_and_grad = jax.value_and_grad(lambda x, t: jax.nn.softmax(net.trace_one(params, x).pre[-1])[t])
    first = jax.jit(value_and_grad)

    @jax.jit
    def step(x, g, t):
        x_new = x + ALPHA * g
        return (x_new,) + value_and_grad(x_new, t)

    def run(target, start):
        p, g = first(start, target)
        x, p, it = start, float(p), 0
        while p <= THRESHOLD and it < max_iter:
            x, p, g = step(x, g, target)
            p, it = float(p), it + 1
        return it, p
    return run


def timed(fn):
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    jax.block_until_ready(out)
    return out, time.perf_counter() - t0, time.process_time() - c0


def bench(label: str, net, params, targets, n_starts: int, max_iter: int, subset: int, loops, seed: int = 0):
    starts = sy.uniform_starts(jax.random.key(seed + 10), n_starts, net.input_shape, -0.05, 0.05)
    targets = jnp.asarray(targets, jnp.int32)
    n_pairs = int(targets.shape[0]) * n_starts
    results = {}
    for loop in loops:
        call = lambda: sy.ascend(net, params, sy.ClassProbability(), targets, starts, step_size=ALPHA,
                                 max_iter=max_iter, stop=sy.Above(THRESHOLD), loop=loop)
        _, compile_wall, _ = timed(call)
        res, wall, cpu = timed(call)
        results[loop] = (res, wall, cpu, compile_wall)
    res = results[loops[0]][0]
    iters, hit_guard = np.asarray(res.iterations), int(np.sum(~np.asarray(res.stopped)))
    print(f"\n{label}: {targets.shape[0]} targets × {n_starts} starts = {n_pairs} ascents; iterations mean "
          f"{iters.mean():.1f}, median {np.median(iters):.0f}, max {iters.max()}; hit the guard "
          f"({max_iter}): {hit_guard}")
    for loop, (r, wall, cpu, first) in results.items():
        same = np.array_equal(np.asarray(r.iterations), iters)
        print(f"  one call, loop={loop!r:8}: {wall:8.2f} s wall ({cpu:7.2f} s CPU; first call with compilation "
              f"{first:.2f} s) = {n_pairs / wall:10.1f} starts/s; iterations equal to {loops[0]!r}: {same}")

    rng = np.random.default_rng(seed)
    picks = rng.choice(n_pairs, size=min(subset, n_pairs), replace=False)
    run = single_start_loop(net, params, max_iter)
    flat_starts = np.asarray(starts)
    run(int(targets[0]), flat_starts[0])  # compile
    t0, c0, loop_iters = time.perf_counter(), time.process_time(), []
    for k in picks:
        t, s = divmod(int(k), n_starts)
        loop_iters.append(run(int(targets[t]), flat_starts[s])[0])
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    per_pair = wall / len(picks)
    vec_iters = iters.reshape(-1)[picks]
    print(f"  Python loop over single starts (timed on {len(picks)} random pairs, extrapolated): "
          f"{per_pair * 1e3:.1f} ms per start ({cpu / len(picks) * 1e3:.1f} ms CPU), {1 / per_pair:.1f} starts/s, "
          f"{per_pair * n_pairs:.0f} s for all {n_pairs}; its iterations mean {np.mean(loop_iters):.1f} "
          f"(the vectorised run's on the same pairs {vec_iters.mean():.1f}; equal on "
          f"{int(np.sum(np.asarray(loop_iters) == vec_iters))}/{len(picks)})")
    # per-iteration normalisation: the loop's pairs may take more or fewer steps than the average pair
    per_step, per_step_cpu = wall / max(1, int(np.sum(loop_iters))), cpu / max(1, int(np.sum(loop_iters)))
    grid_steps = float(iters.sum())
    for loop, (_, vwall, vcpu, _) in results.items():
        print(f"  speed-up of one call (loop={loop!r}) over the loop — goal ≥ 50×: {per_pair * n_pairs / vwall:.1f}× "
              f"by wall, {cpu / len(picks) * n_pairs / vcpu:.1f}× by CPU time; with the loop's time per step scaled "
              f"to the grid's step count: {per_step * grid_steps / vwall:.1f}× by wall, "
              f"{per_step_cpu * grid_steps / vcpu:.1f}× by CPU time")
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=1000, help="random starts per target")
    parser.add_argument("--cnn-starts", type=int, default=None, help="starts for the CNN (default: --starts)")
    parser.add_argument("--loop-subset", type=int, default=24, help="(target, start) pairs timed in the loop")
    parser.add_argument("--max-iter", type=int, default=2000, help="the iteration guard")
    parser.add_argument("--train-steps", type=int, default=3000, help="Adam steps before the ascent")
    parser.add_argument("--loops", default="while,host", help="ascend loop drivers to time, comma-separated")
    parser.add_argument("--quick", action="store_true", help="100 starts, 8 loop pairs, 1500 training steps")
    args = parser.parse_args(argv)
    if args.quick:
        args.starts, args.loop_subset, args.train_steps = 100, 8, 1500
    loops = tuple(args.loops.split(","))
    device = jax.devices()[0]
    print(f"device: {device.platform} {device.device_kind} × {jax.device_count()}; jax {jax.__version__}; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    for name, targets, n_starts in (("mlp2", np.arange(N_CLASSES), args.starts),
                                    ("cnn2", np.array([50 - FIRST]), args.cnn_starts or args.starts)):
        t0 = time.perf_counter()
        net, params, accuracy = trained(name, args.train_steps)
        print(f"\n{name}: trained {args.train_steps} Adam steps in {time.perf_counter() - t0:.1f} s; test accuracy "
              f"{accuracy:.3f}; load average {os.getloadavg()[0]:.2f}")
        bench(f"{name} ({'all 60 classes' if len(targets) > 1 else 'position 50'})", net, params, targets, n_starts,
              args.max_iter, args.loop_subset, loops)
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
