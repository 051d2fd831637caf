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
import optax
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


def test_stacked_batch_indices_are_each_keys_own_order():
    keys = jax.random.split(jax.random.key(5), 3)
    both = batch_indices(keys, 2, 9, 61, 20)  # 3 steps an epoch: crosses epochs 0..3
    assert both.shape == (3, 9, 20)
    for k, key in enumerate(keys):
        perms = [np.asarray(jax.random.permutation(jax.random.fold_in(key, e), 61)) for e in range(4)]
        want = np.stack([perms[t // 3][(t % 3) * 20:(t % 3 + 1) * 20] for t in range(2, 11)])
        np.testing.assert_array_equal(both[k], want)
        np.testing.assert_array_equal(batch_indices(jax.random.key_data(key), 2, 9, 61, 20), want)


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
        (dict(optimizer=optax.sgd(0.5), learning_rate=0.1), r"learning_rate=0.1 would be ignored"),
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


# ------------------------------------------------------------------ issue 10: what a resume must match
def _resume_kw(**over):
    x, y = _data()
    kw = dict(train=(x, y), key=jax.random.key(1), batch_size=20, steps=24, valid=(x[:60], y[:60]),
              eval_every=12, progress=False, optimizer=make_optimizer("momentum", 0.05))
    kw.update(over)
    return kw


@pytest.mark.parametrize("change, part", [
    (dict(optimizer=make_optimizer("momentum", 0.01)), "optimizer"),
    (dict(optimizer=make_optimizer("adam", 0.05)), "optimizer"),
    (dict(optimizer=optax.sgd(0.05, momentum=0.8)), "optimizer"),
    (dict(batch_size=10), "batch_size"),
    (dict(steps=36), "schedule"),
    (dict(eval_every=6), "schedule"),
    (dict(snapshot_steps=(12,)), "snapshot_steps"),
    (dict(key=jax.random.key(2)), "keys"),
    ("train_x", "training data"),
    ("valid_x", "validation data"),
    (dict(valid=None), "validation data"),
])
def test_resume_refuses_any_change_and_names_it(tmp_path, change, part):
    """Issue 10 item 1: the fingerprint covers the optimizer, the data content, the schedule, the keys."""
    params = MODEL.init(jax.random.key(0))
    kw = _resume_kw()
    fit(MODEL, params, checkpoint_dir=tmp_path, **kw)
    if change == "train_x":
        x, y = kw["train"]
        change = dict(train=(x + np.float32(1e-3), y))  # same labels, other inputs
    elif change == "valid_x":
        vx, vy = kw["valid"]
        change = dict(valid=(vx[::-1].copy(), vy[::-1].copy()))
    with pytest.raises(ValueError, match=rf"belongs to another run: {part} differs? — .*to start fresh, delete "):
        fit(MODEL, params, checkpoint_dir=tmp_path, **dict(kw, **change))


def test_resume_message_shows_both_optimizers(tmp_path):
    params = MODEL.init(jax.random.key(0))
    fit(MODEL, params, checkpoint_dir=tmp_path, **_resume_kw(optimizer=make_optimizer("adam", 1e-3)))
    with pytest.raises(ValueError, match=r"checkpoint: adam\(learning_rate=0.001\).*this call: sgd\(learning_rate=0.01\)"):
        fit(MODEL, params, checkpoint_dir=tmp_path, **_resume_kw(optimizer=None))
    with pytest.raises(ValueError, match=r"initial parameters differs"):
        fit(MODEL, MODEL.init(jax.random.key(5)), checkpoint_dir=tmp_path,
            **_resume_kw(optimizer=make_optimizer("adam", 1e-3)))


def test_custom_optimizer_resumes_and_config_is_part_of_the_fingerprint(tmp_path):
    params = MODEL.init(jax.random.key(0))
    full = fit(MODEL, params, **_resume_kw(optimizer=optax.adam(3e-3), steps=48))
    fit(MODEL, params, checkpoint_dir=tmp_path, **_resume_kw(optimizer=optax.adam(3e-3), steps=48,
                                                             optimizer_config={"name": "adam", "lr": 3e-3}))
    again = fit(MODEL, params, checkpoint_dir=tmp_path,  # a new, equal transformation: same trace
                **_resume_kw(optimizer=optax.adam(3e-3), steps=48, optimizer_config={"lr": 3e-3, "name": "adam"}))
    assert _close(again.params, full.params)
    with pytest.raises(ValueError, match=r"optimizer differs .*optimizer_config=\{'name': 'adam', 'lr': 0.003\}"):
        fit(MODEL, params, checkpoint_dir=tmp_path,
            **_resume_kw(optimizer=optax.adam(3e-3), steps=48, optimizer_config={"name": "adam", "lr": 3e-3,
                                                                                  "note": "other"}))
    with pytest.raises(TypeError, match=r"optimizer_config must be JSON-serialisable"):
        fit(MODEL, params, **_resume_kw(optimizer_config={"f": object()}))


def test_old_checkpoint_format_is_refused(tmp_path):
    import flax.serialization as serialization

    (tmp_path / CHECKPOINT_FILE).write_bytes(serialization.msgpack_serialize({"fingerprint": "abc"}))
    with pytest.raises(ValueError, match=r"older jaxprobe .*to start fresh, delete"):
        fit(MODEL, MODEL.init(jax.random.key(0)), checkpoint_dir=tmp_path, **_resume_kw())


def test_checkpoint_dir_that_is_a_file_fails_before_training(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    calls = []
    with pytest.raises(ValueError, match=r"checkpoint_dir=.*file.* is a file, not a folder"):
        fit(MODEL, MODEL.init(jax.random.key(0)), checkpoint_dir=blocker,
            **_resume_kw(callback=lambda s, h: calls.append(s)))
    assert calls == []  # refused before the first step


# ------------------------------------------------------------------ issue 10: non-finite training
def test_diverging_learning_rate_raises_naming_the_step():
    """Issue 10 item 4: a diverging run stops with an error naming the step, never carries NaN on."""
    x, y = _data()
    with pytest.raises(jp.train.NonFiniteError, match=r"non-finite at step \d+: .*Lower the learning rate") as err:
        fit(MODEL, MODEL.init(jax.random.key(0)), (x * 1e3, y), key=jax.random.key(1), batch_size=20, steps=40,
            learning_rate=1e6, progress=False)
    assert 1 <= err.value.step <= 40


@pytest.mark.parametrize("learning_rate, eval_every", [(1e6, 10), (1e6, 2), (10.0, 4)])
def test_stop_keeps_the_last_finite_params_bit_for_bit(learning_rate, eval_every):
    """The bad step inside the first chunk, at the start of a later chunk, inside a later chunk."""
    x, y = _data()
    kw = dict(key=jax.random.key(1), batch_size=20, learning_rate=learning_rate, progress=False)
    params = MODEL.init(jax.random.key(0))
    res = fit(MODEL, params, (x * 1e3, y), steps=40, on_nonfinite="stop", eval_every=eval_every, **kw)
    bad = int(res.nonfinite_step)
    assert 1 < bad <= 40 and res.steps_done == bad - 1
    assert all(np.all(np.isfinite(leaf)) for leaf in jax.tree.leaves(res.params))
    # the same run, stopped by hand just before the bad step, gives the same parameters
    ref = fit(MODEL, params, (x * 1e3, y), steps=bad - 1, eval_every=bad - 1, **kw)
    assert _close(ref.params, res.params)
    assert np.all(np.isfinite(res.history["train_loss"]))


def test_nan_params_raise_at_step_one():
    x, y = _data()
    params = MODEL.init(jax.random.key(0))
    params = (dict(params[0], bias=params[0]["bias"].at[0].set(jnp.nan)),) + params[1:]
    with pytest.raises(ValueError, match=r"params\[0\]\['bias'\] contains 1 NaN"):
        fit(MODEL, params, (x, y), key=jax.random.key(1), steps=5, progress=False)


def test_stacked_stop_halts_only_the_diverged_model():
    x, y = _data()
    keys = jax.random.split(jax.random.key(3), 2)
    stacked = MODEL.init_stacked(jax.random.split(jax.random.key(4), 2))
    boosted = jax.tree.map(lambda a: a.at[1].multiply(1e20), stacked)  # model 1 overflows at once
    res = fit(MODEL, boosted, (x, y), key=keys, stacked=True, batch_size=20, steps=24, eval_every=12,
              valid=(x[:60], y[:60]), progress=False, on_nonfinite="stop")
    assert res.nonfinite_step[0] == -1 and res.nonfinite_step[1] >= 1
    alone = fit(MODEL, unstack(stacked, 0), (x, y), key=keys[0], batch_size=20, steps=24, eval_every=12,
                progress=False)
    assert _close(unstack(res.params, 0), alone.params, atol=1e-6)
    assert all(np.all(np.isfinite(leaf)) for leaf in jax.tree.leaves(res.params))
    with pytest.raises(jp.train.NonFiniteError, match=r"in model\(s\) 1 of the stack"):
        fit(MODEL, boosted, (x, y), key=keys, stacked=True, batch_size=20, steps=24, progress=False)


# ------------------------------------------------------------------ issue 10: arguments fit cannot honour
def test_empty_validation_set_is_refused():
    """Issue 10 item 2."""
    x, y = _data()
    with pytest.raises(ValueError, match=r"valid holds no examples: .*valid=None"):
        fit(MODEL, MODEL.init(jax.random.key(0)), (x, y), key=jax.random.key(0), steps=5,
            valid=(x[:0], y[:0]), patience=2, progress=False)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(eval_every=0), ValueError, r"eval_every must be a positive integer, got 0"),  # item 12
    (dict(snapshot_steps=(-1,)), ValueError, r"snapshot_steps\[0\] must be an integer in 0..10, got -1"),
    (dict(snapshot_steps=(5, 11)), ValueError, r"snapshot_steps\[1\] must be an integer in 0..10, got 11"),
    (dict(snapshot_steps=10), TypeError, r"snapshot_steps must be a sequence of steps.*\(10,\)"),
    (dict(batch_size=16.0), TypeError, r"batch_size must be an integer, got 16.0 \(float\); pass batch_size=16"),
    (dict(steps=0), ValueError, r"steps must be a positive integer, got 0"),
    (dict(optimizer=3), TypeError, r"optimizer must be an optax GradientTransformation"),
    (dict(optimizer="lbfgs2"), ValueError, r"optimizer='lbfgs2' is not known"),
    (dict(key=1), TypeError, r"key must be a jax.random key, got 1 .*jax.random.key\(0\)"),
    (dict(key=jax.random.split(jax.random.key(0), 2)), ValueError, r"key must be one key"),
    (dict(on_nonfinite="ignore"), ValueError, r"on_nonfinite='ignore' is not known"),
    (dict(patience=0, valid="v"), ValueError, r"patience must be a positive integer"),
    (dict(stacked="yes"), TypeError, r"stacked must be True or False"),
    (dict(learning_rate=float("nan")), ValueError, r"learning_rate must be a positive number, got nan"),
])
def test_arguments_fit_cannot_honour(kwargs, error, match):
    x, y = _data()
    kw = dict(key=jax.random.key(0), steps=10, progress=False)
    if kwargs.get("valid") == "v":
        kwargs = dict(kwargs, valid=(x[:20], y[:20]))
    kw.update(kwargs)
    with pytest.raises(error, match=match):
        fit(MODEL, MODEL.init(jax.random.key(0)), (x, y), **kw)


def test_optimizer_by_name_equals_make_optimizer():
    x, y = _data()
    kw = dict(key=jax.random.key(0), steps=12, batch_size=20, progress=False)
    a = fit(MODEL, MODEL.init(jax.random.key(0)), (x, y), optimizer="adam", learning_rate=1e-2, **kw)
    b = fit(MODEL, MODEL.init(jax.random.key(0)), (x, y), optimizer=make_optimizer("adam", 1e-2), **kw)
    assert _close(a.params, b.params)


def test_unclear_params_errors_name_the_argument():
    x, y = _data()
    for params, match in [(None, r"params must be a tuple of 2 per-stage dicts .* got NoneType"),
                          (jp.mlp([8, 5, 3]).init(jax.random.key(0)),
                           r"params\[0\]\['kernel'\] has shape \(8, 5\), expected \(8, 16\)")]:
        with pytest.raises(ValueError, match=match):
            fit(MODEL, params, (x, y), key=jax.random.key(0), steps=2, progress=False)


def test_bfloat16_training_data_train_like_float32():
    x, y = _data()
    xb = x.astype(jnp.bfloat16)
    kw = dict(key=jax.random.key(0), steps=12, batch_size=20, progress=False)
    a = fit(MODEL, MODEL.init(jax.random.key(0)), (xb, y), **kw)
    b = fit(MODEL, MODEL.init(jax.random.key(0)), (np.asarray(xb, np.float32), y), **kw)
    assert _close(a.params, b.params)


def _poison_at(step: int) -> optax.GradientTransformation:
    """SGD that sets the first hidden bias to −inf at ``step`` (0-based): a dead ReLU unit, so the
    loss stays finite and only the parameters show it."""
    def update(grads, count, params=None):
        upd = jax.tree.map(lambda g: -0.05 * g, grads)
        bias = jnp.where(count == step, upd[0]["bias"].at[0].set(-jnp.inf), upd[0]["bias"])
        return (dict(upd[0], bias=bias),) + tuple(upd[1:]), count + 1
    return optax.GradientTransformation(lambda p: jnp.zeros((), jnp.int32), update)


def test_non_finite_parameters_behind_a_finite_loss_are_found_at_their_step():
    x, y = _data()
    kw = dict(key=jax.random.key(1), batch_size=20, progress=False, optimizer=_poison_at(6))
    params = MODEL.init(jax.random.key(0))
    with pytest.raises(jp.train.NonFiniteError, match=r"non-finite at step 7:") as err:
        fit(MODEL, params, (x, y), steps=10, **kw)
    assert err.value.step == 7
    res = fit(MODEL, params, (x, y), steps=10, on_nonfinite="stop", **kw)
    assert int(res.nonfinite_step) == 7 and res.steps_done == 6
    assert _close(res.params, fit(MODEL, params, (x, y), steps=6, **kw).params)
