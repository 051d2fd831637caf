"""How work is spread: batches in chunks, stacks of models, concurrent compiled calls.

The one place that decides how a batch of examples, a stack of K models or a stream of trials is
split up, so that a device mesh can be added here without touching the flows or the trainer.

* :func:`chunked_vmap` — a function of one example over a batch: one ``vmap`` up to :data:`CHUNK`
  examples, a ``lax.map`` over chunks of that size beyond (bounded memory, same results).
* :func:`stack` / :func:`unstack` — K models' parameters on a leading axis and back.
* :func:`thread_map` — independent compiled calls run concurrently on a CPU backend (XLA on the CPU
  runs one call per core for small kernels, so two threads use both cores of a 2-core machine); in
  order on an accelerator.
* :func:`split_host_cpu` — the host CPU presented as several JAX devices (one per core), so that
  a mesh spreads stacked members over the cores instead of a thread pool.
* :func:`device_mesh`, :func:`shard_leading`, :func:`replicate` — a one-axis ``jax.sharding.Mesh``
  over all local devices, and ``NamedSharding`` placements that split a leading axis (the members
  of a sweep, or the examples of a large probe batch) over it or copy an array to every device.
* :func:`pad_leading` / :func:`round_up` — a leading axis padded to a multiple of the device count.
* :func:`compiled_bytes`, :func:`member_footprint`, :func:`free_device_bytes`,
  :func:`members_per_round` — how many stacked members fit at once, from the compiled program's
  measured per-member memory, so that a sweep larger than memory runs in rounds, not out of memory.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Optional, Sequence, TypeVar

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from jaxprobe import validation

T = TypeVar("T")

#: Name of the mesh axis that members (or examples) are split over.
AXIS = "members"

#: Share of a device's free memory a round of stacked members may fill (the rest is headroom for
#: XLA's own buffers and the arrays the caller holds).
MEMORY_FRACTION = 0.5

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
    """``[fn(0), …, fn(count − 1)]``, run in ``count`` threads when ``count > 1`` on a CPU backend.

    Threads only help where XLA runs each small call on one core (the host CPU); on a GPU or TPU
    the calls queue on the same device, so they run one after the other (a mesh over several
    accelerators is :func:`shard_leading`'s job). The results are the same either way.

    >>> thread_map(lambda i: i * i, 3)
    [0, 1, 4]
    """
    if count <= 1 or jax.default_backend() != "cpu":
        return [fn(i) for i in range(count)]
    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(fn, range(count)))


# ------------------------------------------------------------------------------ device layer
def split_host_cpu(n: Optional[int] = None) -> None:
    """Presents the host CPU as ``n`` JAX devices (default: one per core; ``jax_num_cpu_devices``).

    XLA runs a small stacked program on one core; split into devices, :func:`device_mesh` and
    :func:`shard_leading` give every core its share of the members (each device's part runs in
    its own thread). Call it right after ``import jax``, before any JAX computation; it changes
    nothing on a GPU or TPU host.

    Args:
        n: CPU devices (default ``os.cpu_count()``).
    Raises:
        ValueError: ``n`` not a positive integer.
        RuntimeError: JAX has already started its backends (JAX's own message says so).
    """
    n = validation.check_int("n", (os.cpu_count() or 1) if n is None else n, minimum=1)
    jax.config.update("jax_num_cpu_devices", n)


def device_mesh(devices: Optional[Sequence[jax.Device]] = None, axis: str = AXIS) -> Mesh:
    """A one-axis mesh over ``devices`` (default: all devices of this process).

    Args:
        devices: the devices to split work over; ``jax.local_devices()`` when omitted.
        axis: the mesh axis name used by :func:`shard_leading`.
    Returns:
        ``jax.sharding.Mesh`` of shape ``(len(devices),)``.

    >>> device_mesh().axis_names
    ('members',)
    """
    devices = list(jax.local_devices() if devices is None else devices)
    if not devices:
        raise ValueError("devices must hold at least one jax.Device; pass None for all local devices.")
    return Mesh(np.asarray(devices), (axis,))


def round_up(n: int, multiple: int) -> int:
    """The smallest multiple of ``multiple`` that is ≥ ``n``.

    >>> round_up(5, 4), round_up(8, 4)
    (8, 8)
    """
    return -(-n // multiple) * multiple


def pad_leading(tree, size: int):
    """Every leaf's leading axis padded to ``size`` by repeating its last entry (dropped afterwards).

    Repeating a real entry (rather than zeros) keeps padded members finite: they train like the
    last member and are discarded.

    >>> pad_leading({"w": jnp.arange(3)}, 4)["w"].tolist()
    [0, 1, 2, 2]
    """
    def pad(a):
        a = jnp.asarray(a) if not isinstance(a, np.ndarray) else a
        extra = size - a.shape[0]
        if extra < 0:
            raise ValueError(f"size={size} is smaller than the leading axis ({a.shape[0]}).")
        if extra == 0:
            return a
        tail = a[-1:].repeat(extra, axis=0) if isinstance(a, np.ndarray) else jnp.repeat(a[-1:], extra, axis=0)
        return (np.concatenate if isinstance(a, np.ndarray) else jnp.concatenate)([a, tail])

    return jax.tree.map(pad, tree)


def shard_leading(tree, mesh: Mesh, axis: str = AXIS):
    """Every leaf placed with its leading axis split over ``mesh``'s ``axis`` (``NamedSharding``).

    The leading axis must be a multiple of the mesh size (see :func:`pad_leading`); the sweep axis
    of stacked parameters and the batch axis of a large probe are both placed this way.

    Args:
        tree: a pytree of arrays sharing a leading axis.
        mesh: from :func:`device_mesh`.
    Returns:
        The same tree as global ``jax.Array`` s spread over the mesh's devices.
    Raises:
        ValueError: when a leading axis is not a multiple of the device count.
    """
    n = mesh.shape[axis]
    for leaf in jax.tree.leaves(tree):
        if np.ndim(leaf) == 0 or np.shape(leaf)[0] % n:
            raise ValueError(f"a leading axis of shape {np.shape(leaf)} cannot be split over {n} devices; "
                             f"pad it to a multiple of {n} with pad_leading.")
    spec = lambda leaf: NamedSharding(mesh, PartitionSpec(axis, *([None] * (np.ndim(leaf) - 1))))
    return jax.tree.map(lambda leaf: jax.device_put(leaf, spec(leaf)), tree)


def replicate(tree, mesh: Mesh):
    """Every leaf copied to all of ``mesh``'s devices (``NamedSharding`` with an empty spec)."""
    return jax.device_put(tree, NamedSharding(mesh, PartitionSpec()))


def compiled_bytes(compiled) -> int:
    """Device bytes a compiled program holds while it runs: its arguments, outputs and temporaries.

    Read from XLA's memory analysis; a backend without one gives the bytes of the arguments and
    outputs alone.
    """
    stats = compiled.memory_analysis()
    if stats is not None:
        return int(stats.argument_size_in_bytes + stats.output_size_in_bytes + stats.temp_size_in_bytes)
    leaves = jax.tree.leaves((compiled.in_avals if hasattr(compiled, "in_avals") else (), compiled.out_info))
    return sum(int(np.prod(a.shape)) * np.dtype(a.dtype).itemsize for a in leaves)


def member_footprint(fn: Callable, make_args: Callable[[int], tuple]) -> int:
    """Bytes one more stacked member costs in the compiled ``fn``: measured, not guessed.

    ``fn`` is compiled (not run) for 1 and 2 members (``make_args(k)`` gives its arguments for k
    members, as arrays or ``jax.ShapeDtypeStruct``); the difference of XLA's argument, output and
    temporary bytes is the per-member footprint. Shared inputs (the data) cancel out.

    Args:
        fn: a function of stacked arguments (jitted or not).
        make_args: k → the argument tuple for k members.
    Returns:
        Bytes per member (at least 1).
    """
    total = lambda k: compiled_bytes(jax.jit(fn).lower(*make_args(k)).compile())
    return max(1, total(2) - total(1))


def free_device_bytes(device: Optional[jax.Device] = None) -> int:
    """Free memory of ``device`` in bytes: its allocator's limit minus what is in use.

    Accelerators report ``memory_stats()``; a host CPU device does not, so its share of the free
    physical memory is used (the machine's available pages over its local device count).
    """
    device = device or jax.local_devices()[0]
    stats = device.memory_stats() if hasattr(device, "memory_stats") else None
    if stats and "bytes_limit" in stats:
        return int(stats["bytes_limit"]) - int(stats.get("bytes_in_use", 0))
    try:
        available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        available = 4 << 30
    return int(available) // max(1, jax.local_device_count())


def members_per_round(n_members: int, per_member_bytes: int, n_devices: int, *,
                      free_bytes: Optional[int] = None, fraction: float = MEMORY_FRACTION,
                      max_per_device: Optional[int] = None) -> int:
    """How many members one round trains: a multiple of ``n_devices`` that fits in memory.

    Args:
        n_members: members in the whole sweep (or this process's share).
        per_member_bytes: from :func:`member_footprint`.
        n_devices: devices the members are split over.
        free_bytes: free bytes per device (default :func:`free_device_bytes`).
        fraction: share of the free bytes a round may fill.
        max_per_device: an upper bound on members per device (None: memory decides).
    Returns:
        Members per round, between ``n_devices`` and ``n_members`` rounded up to the device count.

    >>> members_per_round(100, per_member_bytes=10, n_devices=4, free_bytes=200, fraction=0.5)
    40
    """
    validation.check_positive("n_members", n_members, integer=True)
    validation.check_positive("per_member_bytes", per_member_bytes)
    validation.check_positive("n_devices", n_devices, integer=True)
    free = free_device_bytes() if free_bytes is None else free_bytes
    per_device = max(1, int(free * fraction // per_member_bytes))
    if max_per_device is not None:
        validation.check_positive("max_per_device", max_per_device, integer=True)
        per_device = min(per_device, max_per_device)
    per_device = min(per_device, -(-n_members // n_devices))
    return per_device * n_devices
