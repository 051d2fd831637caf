"""How work is spread: batches in chunks, stacks of models, concurrent compiled calls.

The one place that decides how a batch of examples, a stack of K models or a stream of trials is
split up, so that a device mesh can be added here without touching the flows or the trainer.

* :func:`chunked_vmap` — a function of one example over a batch: one ``vmap`` up to :data:`CHUNK`
  examples, a ``lax.map`` over chunks of that size beyond (bounded memory, same results).
* :func:`stack` / :func:`unstack` — K models' parameters on a leading axis and back.
* :func:`thread_map` — independent compiled calls run concurrently (XLA on the CPU runs one call
  per core for small kernels, so two threads use both cores of a 2-core machine).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Sequence, TypeVar

import jax
import jax.numpy as jnp

T = TypeVar("T")

#: Examples per chunk of a batched flow. On an idle 2-core CPU one vmap over all 10,000 DNN-6
#: examples measured 1.4× faster than chunks of 1,000 or 2,500 (benchmarks/bench_flows.py --chunk),
#: so batches of up to this size run whole.
CHUNK = 16384


def chunked_vmap(fn: Callable, *args, chunk: int = CHUNK):
    """``fn`` of one example mapped over the leading axis of ``args`` (all the same length).

    >>> chunked_vmap(lambda a, b: a * b, jnp.arange(3.0), jnp.ones(3)).tolist()
    [0.0, 1.0, 2.0]
    """
    return jax.lax.map(lambda a: fn(*a), args, batch_size=min(chunk, args[0].shape[0]))


def stack(trees: Sequence) -> object:
    """K pytrees of the same structure stacked on a new leading axis (K models → one stacked model)."""
    return jax.tree.map(lambda *leaves: jnp.stack(leaves), *trees)


def unstack(params, k: int):
    """Model ``k``'s parameters from stacked parameters.

    >>> unstack({"w": jnp.arange(6).reshape(3, 2)}, 1)["w"].tolist()
    [2, 3]
    """
    return jax.tree.map(lambda a: a[k], params)


def thread_map(fn: Callable[[int], T], count: int) -> list[T]:
    """``[fn(0), …, fn(count − 1)]``, run in ``count`` threads when ``count > 1``."""
    if count <= 1:
        return [fn(i) for i in range(count)]
    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(fn, range(count)))
