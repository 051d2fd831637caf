"""A small sweep run in a fresh process (device count and process group are fixed at JAX start).

    python tests/sweep_worker.py OUT.json [--devices 4] [--coordinator host:port --num-processes N --process-id i]

Writes the table's rows as JSON (process 0 only under several processes). With ``--devices`` the
sweep runs once over all forced CPU devices and once on the first device alone, and both tables
are written (``sharded``, ``single``). Used by tests/test_parallel.py; not collected as a test.
"""

from __future__ import annotations

import argparse
import json
import os
import sys


def small_sweep(mesh=None, max_members_per_device=None):
    """The test grid: 3 seeds × 2 learning rates on a 5-8-3 MLP (6 members, uneven over 4 devices)."""
    import jax.numpy as jnp
    import numpy as np

    import jaxprobe as jp
    from jaxprobe.sweep import sweep

    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 5)).astype(np.float32)
    y = rng.integers(0, 3, 48).astype(np.int32)
    norm = lambda net, p: sum(jnp.sum(layer["kernel"] ** 2) for layer in p)
    return sweep(jp.mlp([5, 8, 3]), (x, y), {"seed": [0, 1, 2], "learning_rate": [0.1, 0.4]}, steps=9,
                 batch_size=16, valid=(x, y), probes={"norm": norm}, mesh=mesh,
                 max_members_per_device=max_members_per_device)


def stopping_sweep(mesh=None):
    """Shared minibatch order, early stopping and snapshots: 2 seeds × 2 learning rates, 2 per device."""
    import numpy as np

    import jaxprobe as jp
    from jaxprobe.sweep import sweep

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(48, 5)).astype(np.float32), rng.integers(0, 3, 48).astype(np.int32)
    vx, vy = rng.normal(size=(32, 5)).astype(np.float32), rng.integers(0, 3, 32).astype(np.int32)
    return sweep(jp.mlp([5, 8, 3]), (x, y), {"seed": [0, 2], "learning_rate": [0.05, 0.8]}, steps=30, batch_size=16,
                 eval_every=2, valid=(vx, vy), patience=2, snapshot_steps=(5, 12), shared_order=True, mesh=mesh,
                 max_members_per_device=2)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--devices", type=int, default=0)
    args, _ = parser.parse_known_args(argv)
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import jax

    from jaxprobe import distributed, parallel

    if args.devices:  # before JAX starts its CPU backend
        parallel.split_host_cpu(args.devices)

    args = distributed.add_arguments(parser).parse_args(argv)
    distributed.initialize_from(args)
    result = {"devices": jax.local_device_count(), "processes": jax.process_count()}
    # caps given: no footprint compiles (tested in test_parallel); 2 per device = one round on 4 devices,
    # three rounds on one device
    result["sharded"] = small_sweep(max_members_per_device=2).rows
    if args.devices:
        result["single"] = small_sweep(mesh=parallel.device_mesh(jax.local_devices()[:1]),
                                       max_members_per_device=2).rows
        result["stopping_sharded"] = stopping_sweep().rows
        result["stopping_single"] = stopping_sweep(mesh=parallel.device_mesh(jax.local_devices()[:1])).rows
    if jax.process_index() == 0:
        with open(args.out, "w") as f:
            json.dump(result, f)


if __name__ == "__main__":
    main()
