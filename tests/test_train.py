"""The training loop: determinism, snapshots, early stopping, stacked models, checkpoints, resume."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxprobe as jp
from jaxprobe.parallel import unstack
from jaxprobe.train import CHECKPOINT_FILE, batch_indices, fit, make_optimizer

ROOT = Path(__file__).resolve().parents[1]


def _data(n=240, d=8, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(classes, d)) * 2
    y = rng.integers(0, classes, n)
    x = (centers[y] + rng.normal(size=(n, d))).astype(np.float32)
    return x, y.astype(np.int32)


MODEL = jp.mlp([8, 16, 3])


def _close(a, b, atol=0.0):
    return all(np.allclose(p, q, rtol=0, atol=atol) for p, q in zip(jax.tree.leaves(a), jax.tree.leaves(b)))


def test_schedule_is_a_permutation_per_epoch():
    idx = batch_indices(jax.random.key(0), 0, 6, 60, 20)
    assert sorted(idx[:3].ravel().tolist()) == list(range(60))
    assert sorted(idx[3:].ravel().tolist()) == list(range(60))
    assert not np.array_equal(idx[:3], idx[3:])
    np.testing.assert_array_equal(batch_indices(jax.random.key(0), 4, 2, 60, 20), idx[4:])


def test_training_learns_is_deterministic_and_snapshots():
    x, y = _data()
    params = MODEL.init(jax.random.key(0))
    kw = dict(key=jax.random.key(1), batch_size=20, steps=120, valid=(x[:60], y[:60]), eval_every=12,
              snapshot_steps=(0, 5, 60), progress=False)
    a = fit(MODEL, params, (x, y), **kw)
    b = fit(MODEL, params, (x, y), **kw)
    assert _close(a.params, b.params)
    assert sorted(a.snapshots) == [0, 5, 60]
    assert _close(a.snapshots[0], params)
    assert not _close(a.snapshots[5], params)
    assert a.history["valid_accuracy"][-1] > 0.9
    assert a.history["valid_loss"][-1] < a.history["valid_loss"][0]
    # train_loss is the mean loss of the steps since the last evaluation: the first one lies
    # between the loss at step 12 and the loss at the initial parameters
    at = lambda p: float(jp.softmax_cross_entropy(MODEL.apply(p, jnp.asarray(x)), y))
    assert at(a.snapshots[0]) >= a.history["train_loss"][0] >= 0.8 * a.history["valid_loss"][0]
    np.testing.assert_array_equal(a.history["step"], np.arange(12, 121, 12))


def test_early_stopping_keeps_best_params():
    x, y = _data()
    vx, vy = _data(60, seed=1)
    vy = (vy + 1) % 3  # a validation set that disagrees: the loss gets worse as training fits
    res = fit(MODEL, MODEL.init(jax.random.key(0)), (x, y), key=jax.random.key(1), batch_size=20,
              epochs=40, valid=(vx, vy), patience=3, progress=False)
    best = int(np.argmin(res.history["valid_loss"]))
    assert res.best_step == res.history["step"][best]
    assert len(res.history["step"]) == best + 1 + 3  # stopped after 3 evaluations without improvement
    logits = MODEL.apply(res.best_params, jnp.asarray(vx))
    assert abs(float(jp.softmax_cross_entropy(logits, vy)) - res.history["valid_loss"][best]) < 1e-5


def test_stacked_models_equal_separate_runs():
    x, y = _data()
    keys = jax.random.split(jax.random.key(3), 3)
    init_keys = jax.random.split(jax.random.key(4), 3)
    stacked = MODEL.init_stacked(init_keys)
    kw = dict(batch_size=20, steps=60, valid=(x[:60], y[:60]), eval_every=20, progress=False,
              optimizer=make_optimizer("adam", 1e-2))
    together = fit(MODEL, stacked, (x, y), key=keys, stacked=True, **kw)
    for k in range(3):
        alone = fit(MODEL, unstack(stacked, k), (x, y), key=keys[k], **kw)
        assert _close(unstack(together.params, k), alone.params, atol=1e-6)
        assert _close(unstack(together.best_params, k), alone.best_params, atol=1e-6)
        np.testing.assert_allclose(together.history["valid_loss"][:, k], alone.history["valid_loss"], atol=1e-6)


def test_checkpoint_roundtrip_and_refusal(tmp_path):
    x, y = _data()
    params = MODEL.init(jax.random.key(0))
    kw = dict(key=jax.random.key(1), batch_size=20, steps=48, valid=(x[:60], y[:60]), eval_every=12,
              snapshot_steps=(0, 24), progress=False, optimizer=make_optimizer("momentum", 0.05))
    full = fit(MODEL, params, (x, y), checkpoint_dir=tmp_path, **kw)
    assert (tmp_path / CHECKPOINT_FILE).is_file()
    again = fit(MODEL, params, (x, y), checkpoint_dir=tmp_path, **kw)  # restores the finished state
    assert again.steps_done == 48 and _close(again.params, full.params)
    assert _close(again.snapshots[24], full.snapshots[24])
    np.testing.assert_array_equal(again.history["valid_loss"], full.history["valid_loss"])
    with pytest.raises(ValueError, match=r"belongs to another run"):
        fit(MODEL, params, (x, y), checkpoint_dir=tmp_path, **dict(kw, batch_size=10))
    with pytest.raises(ValueError, match=r"belongs to another run"):  # another run key: other batches
        fit(MODEL, params, (x, y), checkpoint_dir=tmp_path, **dict(kw, key=jax.random.key(2)))
    (tmp_path / CHECKPOINT_FILE).write_bytes(b"\x93garbage")
    with pytest.raises(ValueError, match=r"is corrupt"):
        fit(MODEL, params, (x, y), checkpoint_dir=tmp_path, **kw)


RUN = textwrap.dedent("""
    import sys, time, jax, numpy as np
    sys.path.insert(0, {tests!r})
    import jaxprobe as jp
    from jaxprobe.train import fit, make_optimizer
    from test_train import _data, MODEL
    x, y = _data()

    def callback(step, history):  # records the evaluations this process ran, then (slow) waits
        with open({steps!r}, "a") as f:
            f.write(f"{{step}}\\n")
        if {slow}:
            time.sleep(0.5)

    res = fit(MODEL, MODEL.init(jax.random.key(0)), (x, y), key=jax.random.key(1), batch_size=20, steps=120,
              valid=(x[:60], y[:60]), eval_every=12, progress=False, checkpoint_dir={ckpt!r},
              optimizer=make_optimizer("adam", 1e-2), callback=callback)
    np.save({out!r}, np.concatenate([np.ravel(l) for l in jax.tree.leaves(res.params)]))
""")


def _script(tmp_path, name, slow, attempt="first"):
    ckpt, out, steps = tmp_path / f"ckpt_{name}", tmp_path / f"{name}.npy", tmp_path / f"{name}_{attempt}.steps"
    code = RUN.format(tests=str(ROOT / "tests"), slow=slow, ckpt=str(ckpt), out=str(out), steps=str(steps))
    return [sys.executable, "-c", code], ckpt, out, steps


def _steps(path):
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def test_killed_run_resumes_to_the_same_params(tmp_path):
    """Kill a run after its first checkpoint, rerun it: the rerun starts from the checkpoint (its
    first evaluation is the one after the checkpoint's step) and ends with the uninterrupted
    run's parameters, bit for bit."""
    from flax import serialization

    env = dict(os.environ, JAX_PLATFORMS="cpu")
    cmd, ckpt, out, killed_steps = _script(tmp_path, "killed", slow=True)
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT)
    deadline = time.time() + 600  # a slow machine only makes the wait longer, never a fresh-run test
    while not (ckpt / CHECKPOINT_FILE).exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert (ckpt / CHECKPOINT_FILE).exists(), "the run wrote no checkpoint before it ended or timed out"
    time.sleep(0.6)  # an evaluation or two later, mid-run (each evaluation waits 0.5 s)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not out.exists(), "the run finished before it could be killed"
    at_kill = int(serialization.msgpack_restore((ckpt / CHECKPOINT_FILE).read_bytes())["step"])
    assert 12 <= at_kill < 120 and at_kill % 12 == 0, at_kill
    assert _steps(killed_steps)[-1] >= at_kill  # the killed run got that far itself

    cmd, _, _, resumed_steps = _script(tmp_path, "killed", slow=False, attempt="resumed")
    subprocess.run(cmd, env=env, cwd=ROOT, check=True)
    assert _steps(resumed_steps) == list(range(at_kill + 12, 121, 12)), "the rerun did not resume from the checkpoint"

    cmd, _, ref, full_steps = _script(tmp_path, "uninterrupted", slow=False)
    subprocess.run(cmd, env=env, cwd=ROOT, check=True)
    assert _steps(full_steps) == list(range(12, 121, 12))
    np.testing.assert_array_equal(np.load(out), np.load(ref))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(learning_rate=-0.1), r"learning_rate must be a positive number, got -0.1"),
        (dict(batch_size=1000), r"batch_size=1000 is larger than the training set \(240 examples\)"),
        (dict(batch_size=0), r"batch_size must be a positive integer"),
        (dict(steps=None), r"give exactly one of steps or epochs"),
        (dict(patience=2), r"patience \(early stopping\) needs a validation set"),
    ],
)
def test_invalid_hyperparameters(kwargs, match):
    x, y = _data()
    kw = dict(key=jax.random.key(0), steps=10, progress=False)
    kw.update(kwargs)
    with pytest.raises(ValueError, match=match):
        fit(MODEL, MODEL.init(jax.random.key(0)), (x, y), **kw)


def test_bad_training_data():
    x, y = _data()
    with pytest.raises(ValueError, match=r"train\[1\] must be a class label in 0..2, got 7"):
        fit(MODEL, MODEL.init(jax.random.key(0)), (x, np.full(len(x), 7)), key=jax.random.key(0), steps=1)
    with pytest.raises(ValueError, match=r"train\[0\] has shape \(240, 9\)"):
        fit(MODEL, MODEL.init(jax.random.key(0)), (np.zeros((240, 9), np.float32), y), key=jax.random.key(0),
            steps=1)
    with pytest.raises(ValueError, match=r"optimizer='lbfgs2' is not known"):
        make_optimizer("lbfgs2")
