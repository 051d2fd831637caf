"""The device layer: mesh placement, rounds from a measured footprint, and sweeps across devices and processes.

The device count and the process group are fixed when JAX starts, so the 4-device and 2-process
runs are subprocesses (tests/sweep_worker.py), started together to overlap their start-up.
"""

import json
import socket
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxprobe import distributed, parallel

ROOT = Path(__file__).resolve().parents[1]
WORKER = ROOT / "tests" / "sweep_worker.py"
MEASURES = ("train_loss", "valid_loss", "valid_accuracy", "norm")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def worker_runs(tmp_path_factory):
    """{'four': 4 forced CPU devices, 'two': process 0 of a 2-process run}: the worker's JSON."""
    folder = tmp_path_factory.mktemp("workers")
    port = _free_port()
    commands = {
        "four": [str(WORKER), str(folder / "four.json"), "--devices", "4"],
        "two": [str(WORKER), str(folder / "two.json"), "--coordinator", f"localhost:{port}", "--num-processes",
                "2", "--process-id", "0"],
        "two_1": [str(WORKER), str(folder / "two_1.json"), "--coordinator", f"localhost:{port}", "--num-processes",
                  "2", "--process-id", "1"],
    }
    procs = {name: subprocess.Popen([sys.executable, *cmd], cwd=ROOT, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True) for name, cmd in commands.items()}
    out = {}
    for name, proc in procs.items():
        try:
            log, _ = proc.communicate(timeout=240)
        except subprocess.TimeoutExpired:
            proc.kill()
            log, _ = proc.communicate()
        out[name] = (proc.returncode, log, folder / f"{name}.json")
    return out


def _load(run):
    code, log, path = run
    assert code == 0, log[-3000:]
    return json.loads(path.read_text())


def _assert_same_table(a, b):
    assert [{k: v for k, v in r.items() if k not in MEASURES} for r in a] == \
           [{k: v for k, v in r.items() if k not in MEASURES} for r in b]
    for name in MEASURES:
        np.testing.assert_allclose([r[name] for r in a], [r[name] for r in b], rtol=1e-6, atol=1e-7)


def test_sweep_sharded_over_four_devices_equals_one_device(worker_runs):
    result = _load(worker_runs["four"])
    assert result["devices"] == 4
    assert len(result["sharded"]) == 6
    _assert_same_table(result["sharded"], result["single"])
    # the member training itself is per member: the losses agree to the bit
    assert [r["train_loss"] for r in result["sharded"]] == [r["train_loss"] for r in result["single"]]


def test_early_stopping_shared_order_sweep_sharded_equals_one_device(worker_runs):
    result = _load(worker_runs["four"])
    sharded, single = result["stopping_sharded"], result["stopping_single"]
    assert len({r["steps_done"] for r in single}) > 1  # members stopped at different steps
    # NaN (snapshots after a stop) compare equal as strings
    assert [{k: repr(v) for k, v in r.items()} for r in sharded] == [{k: repr(v) for k, v in r.items()} for r in single]


def test_two_process_sweep_gives_the_one_process_table(worker_runs):
    if not hasattr(jax.config, "jax_cpu_collectives_implementation"):
        pytest.skip(f"jax {jax.__version__} has no CPU collectives, so it cannot run several CPU processes.")
    two = _load(worker_runs["two"])
    assert worker_runs["two_1"][0] == 0, worker_runs["two_1"][1][-3000:]
    assert not worker_runs["two_1"][2].exists()  # only process 0 writes
    assert two["processes"] == 2
    _assert_same_table(two["sharded"], _load(worker_runs["four"])["single"])


def test_shard_leading_splits_the_leading_axis_over_the_mesh():
    mesh = parallel.device_mesh()
    n = mesh.devices.size
    tree = parallel.shard_leading({"w": jnp.arange(2.0 * n).reshape(n, 2)}, mesh)
    assert tree["w"].sharding.spec[0] == parallel.AXIS
    np.testing.assert_array_equal(tree["w"], np.arange(2.0 * n).reshape(n, 2))
    if n == 1:
        return
    with pytest.raises(ValueError, match="pad it to a multiple"):
        parallel.shard_leading(jnp.arange(n + 1.0), mesh)


def test_pad_leading_repeats_the_last_member_and_refuses_to_shrink():
    padded = parallel.pad_leading((np.arange(3), jnp.ones((3, 2))), 5)
    assert padded[0].tolist() == [0, 1, 2, 2, 2] and padded[1].shape == (5, 2)
    with pytest.raises(ValueError, match="smaller"):
        parallel.pad_leading(jnp.arange(3), 2)


def test_member_footprint_is_the_bytes_one_more_member_costs():
    # k members of a (1000,) float32 vector scaled: 4,000 bytes in and 4,000 out per member
    per = parallel.member_footprint(lambda v: 2.0 * v, lambda k: (jax.ShapeDtypeStruct((k, 1000), jnp.float32),))
    assert 8000 <= per <= 12000


def test_members_per_round_fits_memory_and_device_count():
    assert parallel.members_per_round(100, 10, 4, free_bytes=200, fraction=0.5) == 40
    assert parallel.members_per_round(6, 10, 4, free_bytes=10**9) == 8  # all at once, padded to the devices
    assert parallel.members_per_round(100, 10**12, 2, free_bytes=10**9) == 2  # never below one per device
    assert parallel.members_per_round(100, 10, 1, free_bytes=10**9, max_per_device=3) == 3
    with pytest.raises(ValueError, match="n_members"):
        parallel.members_per_round(0, 10, 1)


def test_split_host_cpu_refuses_once_jax_has_started():
    jax.devices()  # the backend is up (the 4-device split itself is the worker's, before JAX starts)
    with pytest.raises(RuntimeError, match="before"):
        parallel.split_host_cpu(2)
    with pytest.raises(ValueError, match="n"):
        parallel.split_host_cpu(0)


def test_free_device_bytes_is_positive():
    assert parallel.free_device_bytes() > 0


def test_shares_cover_every_member_once():
    for n in (1, 5, 6):
        for count in (1, 2, 3):
            shares = [list(distributed.share(n, i, count)) for i in range(count)]
            assert sum(shares, []) == list(range(n))
            assert max(map(len, shares)) - min(map(len, shares)) <= 1


def test_initialize_needs_all_three_arguments():
    with pytest.raises(ValueError, match="together"):
        distributed.initialize("localhost:1234")
    with pytest.raises(ValueError, match="process_id"):
        distributed.initialize("localhost:1234", 2, 2)


def test_initialize_from_arguments_without_a_coordinator_is_one_process(monkeypatch):
    import argparse

    monkeypatch.delenv("SLURM_NTASKS", raising=False)
    args = distributed.add_arguments(argparse.ArgumentParser()).parse_args([])
    distributed.initialize_from(args)  # nothing to join
    assert jax.process_count() == 1
