"""The sweep API: members equal their separate `fit` runs; grids checked; the table written."""

import csv
import json

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxprobe as jp
from jaxprobe import parallel
from jaxprobe.report import Report
from jaxprobe.sweep import SweepTable, expand_grid, member_keys, sweep
from jaxprobe.train import batch_indices, fit

MODEL = jp.mlp([5, 8, 3])
RNG = np.random.default_rng(0)
X = RNG.normal(size=(48, 5)).astype(np.float32)
Y = RNG.integers(0, 3, 48).astype(np.int32)
KW = dict(batch_size=16, steps=7, eval_every=3)  # 7 steps in chunks of 3, 3, 1 (crosses epochs of 3 steps)


def _max_diff(a, b):
    return max(float(jnp.max(jnp.abs(p - q))) for p, q in zip(jax.tree.leaves(a), jax.tree.leaves(b)))


def _fit(model, seed, optimizer, train=(X, Y)):
    init_key, data_key = member_keys(seed)
    return fit(model, model.init(init_key), train, key=data_key, optimizer=optimizer, valid=(X, Y), progress=False,
               **KW)


def test_learning_rate_and_momentum_sweep_equals_separate_fits():
    grid = {"seed": [3], "learning_rate": [0.05, 0.4], "momentum": [0.0, 0.9]}
    table = sweep(MODEL, (X, Y), grid, valid=(X, Y), keep_params=True, **KW)
    assert len(table.rows) == 4 and table.axes == ("seed", "learning_rate", "momentum")
    for i, row in enumerate(table.rows):
        alone = _fit(MODEL, int(row["seed"]), optax.sgd(float(row["learning_rate"]), momentum=float(row["momentum"])))
        assert _max_diff(alone.params, table.params[i]) <= 1e-6, row
        np.testing.assert_allclose(row["train_loss"], alone.history["train_loss"][-1], rtol=1e-6)
        np.testing.assert_allclose(row["valid_loss"], alone.history["valid_loss"][-1], rtol=1e-6)
        np.testing.assert_allclose(row["valid_accuracy"], alone.history["valid_accuracy"][-1])
    # the learning rate matters (the sweep is not silently training one setting)
    assert len({round(r["train_loss"], 6) for r in table.rows}) == 4


def test_seed_sweep_equals_fit_stacked():
    table = sweep(MODEL, (X, Y), {"seed": [0, 1, 2]}, optimizer_args={"learning_rate": 0.2}, keep_params=True, **KW)
    keys = [member_keys(s) for s in (0, 1, 2)]
    stacked = fit(MODEL, MODEL.init_stacked(jnp.stack([k[0] for k in keys])), (X, Y),
                  key=jnp.stack([k[1] for k in keys]), optimizer=optax.sgd(0.2), stacked=True, progress=False, **KW)
    for i in range(3):
        assert _max_diff(parallel.unstack(stacked.params, i), table.params[i]) <= 1e-6
    np.testing.assert_allclose(table.column("train_loss").astype(float), stacked.history["train_loss"][-1], rtol=1e-6)


def test_subset_and_width_axes_equal_fits_on_those_subsets_and_models():
    subsets = {"first": np.arange(32), "last": np.arange(16, 48)}
    models = {"w8": MODEL, "w4": jp.mlp([5, 4, 3])}
    adam = optax.adam(0.01)  # one object: fit compiles once per model
    table = sweep(None, (X, Y), {"model": models, "subset": subsets, "seed": [1]}, valid=(X, Y),
                  optimizer="adam", optimizer_args={"learning_rate": 0.01}, keep_params=True, **KW)
    assert [(r["model"], r["subset"]) for r in table.rows] == [("w8", "first"), ("w8", "last"), ("w4", "first"),
                                                               ("w4", "last")]
    for i, row in enumerate(table.rows):
        idx = subsets[row["subset"]]
        alone = _fit(models[row["model"]], 1, adam, train=(X[idx], Y[idx]))
        assert _max_diff(alone.params, table.params[i]) <= 1e-6, row
        np.testing.assert_allclose(row["valid_loss"], alone.history["valid_loss"][-1], rtol=1e-6)


def test_probes_give_columns_per_member():
    probes = {"norm": lambda net, p: sum(jnp.sum(layer["kernel"] ** 2) for layer in p),
              "out": lambda net, p: {"bias0": p[-1]["bias"][0], "mean": jnp.mean(net.apply(p, jnp.asarray(X)))},
              "flow": lambda net, p: jnp.mean(jnp.abs(jp.bp_dnn_targets(net, p, X[:8], Y[:8]).reconstructions[0]))}
    table = sweep(MODEL, (X, Y), {"seed": [0, 1]}, probes=probes, keep_params=True, **KW)
    assert table.measures == ("train_loss", "norm", "out.bias0", "out.mean", "flow")
    for i, row in enumerate(table.rows):
        p = table.params[i]
        np.testing.assert_allclose(row["norm"], sum(float(jnp.sum(layer["kernel"] ** 2)) for layer in p), rtol=1e-5)
        np.testing.assert_allclose(row["out.bias0"], float(p[-1]["bias"][0]), rtol=1e-6)
        flow = jp.bp_dnn_targets(MODEL, p, X[:8], Y[:8]).reconstructions[0]  # a backward flow, per member
        np.testing.assert_allclose(row["flow"], float(jnp.mean(jnp.abs(flow))), rtol=1e-5)
    with pytest.raises(ValueError, match="probe 'vector'"):
        sweep(MODEL, (X, Y), {"seed": [0]}, probes={"vector": lambda net, p: p[0]["bias"]}, **KW)


@pytest.mark.parametrize("grid, axis", [
    ({"seed": []}, "'seed' is empty"),
    ({"seed": [0], "learning_rate": {}}, "'learning_rate' is empty"),
    ({"subset": [np.arange(10), np.arange(12)]}, "'subset'.*one length"),
    ({"subset": [np.arange(10), np.arange(60, 70)]}, "'subset'"),
    ({"seed": [0], "widht": [3, 4]}, "'widht' is neither"),
    ({"learning_rate": ["fast"]}, "'learning_rate' must hold numbers"),
    ({"model": ["mlp"]}, "'model' must hold"),
    ({"seed": [0.5]}, "'seed' must hold integers"),
    ({}, "at least one axis"),
])
def test_bad_grids_name_the_axis(grid, axis):
    with pytest.raises(ValueError, match=axis):
        sweep(MODEL, (X, Y), grid, **KW)


def test_a_sweep_without_a_model_is_refused():
    with pytest.raises(ValueError, match="model must be a jaxprobe Network"):
        sweep(None, (X, Y), {"seed": [0]}, **KW)


def test_model_axis_with_the_wrong_input_shape_is_refused():
    with pytest.raises(ValueError, match="train\\[0\\]"):
        sweep(None, (X, Y), {"model": [jp.mlp([6, 3])]}, **KW)


def test_expand_grid_runs_the_last_axis_fastest():
    members = expand_grid({"a": [1, 2], "b": {"x": 0, "y": 1, "z": 2}})
    assert [(m["a"], m["b"]) for m in members] == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]


def test_table_saved_as_csv_json_and_report(tmp_path):
    table = SweepTable(("seed", "learning_rate"), ("train_loss",),
                       [{"member": 0, "seed": "0", "learning_rate": "0.1", "train_loss": 0.5},
                        {"member": 1, "seed": "0", "learning_rate": "0.2", "train_loss": 0.25}])
    csv_path, json_path = table.save(tmp_path)
    with csv_path.open() as f:
        rows = list(csv.DictReader(f))
    assert rows[1] == {"member": "1", "seed": "0", "learning_rate": "0.2", "train_loss": "0.25"}
    assert json.loads(json_path.read_text())["rows"] == table.rows
    assert table.column("train_loss").tolist() == [0.5, 0.25]
    with pytest.raises(KeyError, match="columns are"):
        table.column("loss")
    with Report(tmp_path / "out", "sweep_demo", "Sweep demo") as report:
        table.to_report(report, "Learning rates")
    folder = tmp_path / "out" / "sweep_demo"
    assert (folder / "sweep.csv").is_file() and "| 0.1 |" in (folder / "report.md").read_text()


def test_sweep_larger_than_memory_runs_in_rounds(monkeypatch):
    grid, kw = {"seed": [0, 1, 2]}, dict(KW, optimizer_args={"learning_rate": 0.123})  # a program no test measured
    compiled = []
    real = parallel.compiled_bytes
    monkeypatch.setattr(parallel, "compiled_bytes", lambda program: compiled.append(real(program)) or compiled[-1])
    # no free memory: the 3-member program is measured, refused, and the sweep runs one member per round
    monkeypatch.setattr(parallel, "free_device_bytes", lambda device=None: 0)
    rounds = sweep(MODEL, (X, Y), grid, **kw)
    assert len(compiled) == 2 and compiled[0] > compiled[1] > 0  # the 3-member program, then the 1-member one
    monkeypatch.undo()
    together = sweep(MODEL, (X, Y), grid, **kw)
    np.testing.assert_allclose(rounds.column("train_loss").astype(float),
                               together.column("train_loss").astype(float), rtol=1e-6)


def test_shared_order_equals_fits_with_member_zeros_batch_order():
    table = sweep(MODEL, (X, Y), {"seed": [4, 5]}, optimizer_args={"learning_rate": 0.3}, shared_order=True,
                  keep_params=True, **KW)
    assert table.settings["shared_order"] is True
    order_key = member_keys(4)[1]  # member 0's data key
    for i, row in enumerate(table.rows):
        alone = fit(MODEL, MODEL.init(member_keys(int(row["seed"]))[0]), (X, Y), key=order_key, optimizer="sgd",
                    learning_rate=0.3, progress=False, **KW)
        assert _max_diff(alone.params, table.params[i]) <= 1e-6, row
        np.testing.assert_allclose(row["train_loss"], alone.history["train_loss"][-1], rtol=1e-6)
    # seed 5's own order differs from the shared one, so member 1 really trained on member 0's batches
    assert not np.array_equal(batch_indices(member_keys(5)[1], 0, 7, len(X), 16), batch_indices(order_key, 0, 7,
                                                                                                 len(X), 16))


def test_patience_and_snapshots_equal_fit_per_member():
    rng = np.random.default_rng(1)
    vx, vy = rng.normal(size=(32, 5)).astype(np.float32), rng.integers(0, 3, 32).astype(np.int32)
    kw = dict(batch_size=16, steps=30, eval_every=2, patience=2, snapshot_steps=(0, 5, 12))
    table = sweep(MODEL, (X, Y), {"seed": [0], "learning_rate": [0.05, 0.8]}, valid=(vx, vy), keep_params=True, **kw)
    stops = set()
    for i, row in enumerate(table.rows):
        init_key, data_key = member_keys(int(row["seed"]))
        alone = fit(MODEL, MODEL.init(init_key), (X, Y), key=data_key, optimizer="sgd",
                    learning_rate=float(row["learning_rate"]), valid=(vx, vy), progress=False, **kw)
        assert _max_diff(alone.best_params, table.params[i]) <= 1e-6, row
        assert (row["best_step"], row["steps_done"]) == (int(alone.best_step), alone.steps_done), row
        np.testing.assert_allclose(row["valid_loss"], np.min(alone.history["valid_loss"]), rtol=1e-6)
        np.testing.assert_allclose(row["train_loss"], alone.history["train_loss"][-1], rtol=1e-6)
        for step in (0, 5, 12):
            if step in alone.snapshots:
                assert _max_diff(alone.snapshots[step], table.snapshots[i][step]) <= 1e-6
                logits = MODEL.apply(alone.snapshots[step], vx)
                np.testing.assert_allclose(row[f"valid_loss@{step}"], float(jp.softmax_cross_entropy(logits, vy)),
                                           rtol=1e-5)
            else:  # the member had stopped before this snapshot
                assert np.isnan(row[f"valid_loss@{step}"]) and step not in table.snapshots[i]
        stops.add(alone.steps_done)
    assert len(stops) > 1 and min(stops) < 30  # members stopped at different steps, before the end


def _targets(model, params, x, y):
    return jp.bp_dnn_targets(model, params, x, y).targets


def test_probe_members_equals_per_member_flows_whole_and_chunked():
    from jaxprobe.sweep import probe_members

    stacked = MODEL.init_stacked(jax.random.split(jax.random.key(7), 3))
    x, y = jnp.asarray(X[:10]), jnp.asarray(Y[:10])
    whole = probe_members(MODEL, stacked, _targets, (x, y))
    chunked = probe_members(MODEL, stacked, _targets, (x, y), chunk=4)  # 4 + 4 + 2 (padded) examples
    unchecked = probe_members(MODEL, stacked, _targets, (x, y), chunk=4, checks=False)
    for k in range(3):
        alone = _targets(MODEL, parallel.unstack(stacked, k), x, y)
        for got_whole, got_chunked, got_unchecked, want in zip(whole, chunked, unchecked, alone):
            assert got_whole.shape == (3,) + want.shape
            for got in (got_whole, got_chunked, got_unchecked):
                np.testing.assert_allclose(got[k], want, rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match="leading"):
        probe_members(MODEL, stacked, _targets, (x, y[:5]))
    with pytest.raises(ValueError, match="data\\[0\\]"):
        probe_members(MODEL, stacked, _targets, (x.at[0, 0].set(jnp.nan), y), checks=False)
