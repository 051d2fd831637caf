"""Several processes (hosts) sharing one sweep: start-up, each process's share, the gathered table.

Each process trains its own contiguous share of the grid's members on its local devices (see
``jaxprobe.parallel``); only the numbers of the finished table travel between processes, once,
through ``jax.experimental.multihost_utils.process_allgather`` (CPU collectives on hosts without
accelerators). Every process then holds the whole table; process 0 writes it.

Launch on a cluster: under Slurm, ``jax.distributed.initialize()`` reads the job's environment, so
:func:`initialize` needs no arguments; elsewhere give every process the same coordinator address,
the process count and its own id (``--coordinator host:port --num-processes N --process-id i``).
"""

from __future__ import annotations

import argparse
import os
from typing import Optional

import jax
import numpy as np

from jaxprobe import validation


def initialize(coordinator: Optional[str] = None, num_processes: Optional[int] = None,
               process_id: Optional[int] = None) -> None:
    """Joins this process to a multi-process JAX run (a no-op for a single process).

    Args:
        coordinator: ``host:port`` of process 0; None lets JAX read a cluster's environment
            (Slurm, Open MPI, Kubernetes).
        num_processes: number of processes; with ``coordinator``.
        process_id: this process's id in ``0 .. num_processes − 1``; with ``coordinator``.
    Raises:
        ValueError: when ``coordinator`` is given without ``num_processes`` and ``process_id``.
    """
    if coordinator is None and num_processes is None and process_id is None:
        jax.distributed.initialize()
        return
    if coordinator is None or num_processes is None or process_id is None:
        raise ValueError("give coordinator, num_processes and process_id together (or none of them under a "
                         "cluster scheduler such as Slurm).")
    validation.check_positive("num_processes", num_processes, integer=True)
    if not 0 <= process_id < num_processes:
        raise ValueError(f"process_id must lie in 0..{num_processes - 1}, got {process_id}.")
    if num_processes > 1:
        jax.distributed.initialize(coordinator, num_processes, process_id)


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Adds ``--coordinator host:port``, ``--num-processes N`` and ``--process-id i`` to ``parser``.

    >>> add_arguments(argparse.ArgumentParser()).parse_args(["--coordinator", "h:1", "--num-processes", "2",
    ...                                                      "--process-id", "1"]).process_id
    1
    """
    group = parser.add_argument_group("several processes (hosts)")
    group.add_argument("--coordinator", help="host:port of process 0; omit under Slurm or for one process")
    group.add_argument("--num-processes", type=int, help="number of processes (with --coordinator)")
    group.add_argument("--process-id", type=int, help="this process's id, 0..N-1 (with --coordinator)")
    return parser


def initialize_from(args: argparse.Namespace) -> None:
    """:func:`initialize` from :func:`add_arguments`' options; under a Slurm job of several tasks
    without them, from Slurm's environment; otherwise nothing (one process)."""
    if args.coordinator is not None:
        initialize(args.coordinator, args.num_processes, args.process_id)
    elif int(os.environ.get("SLURM_NTASKS", "1")) > 1:
        initialize()


def share(n: int, index: Optional[int] = None, count: Optional[int] = None) -> range:
    """Member indices process ``index`` of ``count`` runs: a contiguous block, sizes differing by ≤ 1.

    >>> [list(share(5, i, 2)) for i in range(2)]
    [[0, 1, 2], [3, 4]]
    """
    index = jax.process_index() if index is None else index
    count = jax.process_count() if count is None else count
    base, extra = divmod(n, count)
    start = index * base + min(index, extra)
    return range(start, start + base + (index < extra))


def gather_rows(values: np.ndarray, n_total: int) -> np.ndarray:
    """Every process's rows (its :func:`share` of ``n_total``, in order) stacked on all processes.

    Args:
        values: this process's rows, shape (len(share(n_total)), m), float32.
        n_total: rows over all processes.
    Returns:
        Array (n_total, m) of all rows in member order (= ``values`` for a single process).
    """
    count = jax.process_count()
    values = np.asarray(values, np.float32)
    if count == 1:
        return values
    from jax.experimental import multihost_utils

    longest = len(share(n_total, 0, count))
    padded = np.zeros((longest,) + values.shape[1:], np.float32)
    padded[:len(values)] = values
    gathered = np.asarray(multihost_utils.process_allgather(padded, tiled=False))
    return np.concatenate([gathered[i][:len(share(n_total, i, count))] for i in range(count)])
