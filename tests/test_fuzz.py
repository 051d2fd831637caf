"""Fuzzing the public functions (issue 10): generated shapes, dtypes, NaN/Inf, out-of-range indices
and wrong types. Every call either returns the right answer, checked against an independent
reference (NumPy or SciPy), or raises ValueError/TypeError whose message names an argument that
was wrong. Never a silent wrong number, never a bare XLA or NumPy error.

Shapes are drawn from small sets so that the compiled cores are reused across examples; the
examples are derandomised (the same cases on every run) and kept few enough that the whole file
runs in well under a minute on two cores.
"""

from __future__ import annotations

import re
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jaxprobe as jp
from jaxprobe import moore_penrose as mp
from jaxprobe.analysis.stats import clopper_pearson
from jaxprobe.data.jumps import clean_jumps, make_jumps
from jaxprobe.data.sampling import balanced_indices
from jaxprobe.train import fit, make_optimizer

FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FEW = settings(FUZZ, max_examples=25)

MODEL = jp.mlp([6, 5, 4, 3])
PARAMS = tuple({"kernel": p["kernel"], "bias": 0.2 * jax.random.normal(k, p["bias"].shape)}
               for p, k in zip(MODEL.init(jax.random.key(0)), jax.random.split(jax.random.key(9), 3)))
OTHER = jp.mlp([6, 4, 4, 3]).init(jax.random.key(1))
NAN_PARAMS = (dict(PARAMS[0], kernel=PARAMS[0]["kernel"].at[1, 1].set(jnp.nan)),) + PARAMS[1:]
RULES = tuple(jp.RULES)


# ------------------------------------------------------------------ the contract
def outcome(call, bad: set):
    """Runs ``call``. With ``bad`` empty it must succeed (returns its value); otherwise it must raise
    ValueError/TypeError naming one of the argument names in ``bad``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = call()
    except (ValueError, TypeError) as err:
        assert bad, f"a valid call raised {type(err).__name__}: {err}"
        named = [n for n in bad if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", str(err))]
        assert named, f"{err!r} names none of {sorted(bad)}"
        return None
    assert not bad, f"an invalid call ({sorted(bad)} wrong) returned {value!r:.200}"
    return value


def close(a, b, rtol=2e-4, atol=2e-5):
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64), rtol=rtol, atol=atol)


# ------------------------------------------------------------------ generated arguments
def arrays(shape_ok, shape_bad, name, *, values=st.floats(-2, 2, width=32)):
    """(value, wrong argument names) pairs: good arrays of several dtypes, and wrong shapes, dtypes,
    NaN/Inf and wrong types."""
    good_dtypes = st.sampled_from([np.float32, np.float64, np.float16, jnp.bfloat16])

    @st.composite
    def draw(draw_):
        shape = draw_(st.sampled_from(shape_ok + shape_bad))
        kind = draw_(st.sampled_from(["ok", "ok", "ok", "nan", "inf", "int", "bool", "list", "none", "str"]))
        size = int(np.prod(shape))
        vals = np.array(draw_(st.lists(values, min_size=size, max_size=size)), np.float32).reshape(shape)
        bad = set() if shape in shape_ok else {name}
        if kind == "ok":
            return vals.astype(draw_(good_dtypes)), bad
        if kind in ("nan", "inf"):
            if size == 0:
                return vals, bad
            vals.flat[draw_(st.integers(0, size - 1))] = np.nan if kind == "nan" else -np.inf
            return vals, bad | {name}
        if kind == "int":
            return vals.astype(np.int32), bad | {name}
        if kind == "bool":
            return vals > 0, bad | {name}
        if kind == "list":
            return vals.tolist(), bad
        return (None if kind == "none" else "abc"), {name}
    return draw()


def indices(size, name, *, batch=None):
    """Integer indices: in range, negative, too large, floats, wrong shapes and types."""
    @st.composite
    def draw(draw_):
        kind = draw_(st.sampled_from(["ok", "ok", "ok", "neg", "big", "float", "shape", "str"]))
        n = 1 if batch is None else batch
        vals = np.array(draw_(st.lists(st.integers(0, size - 1), min_size=n, max_size=n)), np.int32)
        if batch is None:
            vals = vals[0]
        if kind == "ok":
            return vals, set()
        if kind == "neg":
            return vals * 0 - 1, {name}
        if kind == "big":
            return vals * 0 + size + draw_(st.integers(0, 3)), {name}
        if kind == "float":
            return np.asarray(vals, np.float32), {name}
        if kind == "shape":
            return np.zeros((2, 2), np.int32), {name}
        return "0", {name}
    return draw()


params_cases = st.sampled_from([
    (PARAMS, set()),
    (None, {"params"}),
    (OTHER, {"params"}),
    (NAN_PARAMS, {"params"}),
    ((dict(kernel=PARAMS[0]["kernel"]),) + PARAMS[1:], {"params"}),
    (PARAMS[:2], {"params"}),
])
batch_sizes = st.sampled_from([None, 1, 3])


# ------------------------------------------------------------------ NumPy references
def np_forward(params, x):
    """z_l and o_l of MODEL (ReLU, ReLU, linear) in float64."""
    zs, os_ = [], [np.asarray(x, np.float64)]
    for k, p in enumerate(params):
        z = os_[-1] @ np.asarray(p["kernel"], np.float64) + np.asarray(p["bias"], np.float64)
        zs.append(z)
        os_.append(np.maximum(z, 0) if k < len(params) - 1 else z)
    return zs, os_


def np_rule(rule, g, z):
    relu_grad = (z > 0).astype(np.float64)
    return {"gradient": g * relu_grad, "exact_filter": g * relu_grad,
            "guided_bp_dnn": (np.sign(z) == np.sign(g)) * g * relu_grad,
            "guided_backprop": np.maximum(g, 0) * relu_grad, "deconvnet": np.maximum(g, 0),
            "deconvnet_masked": np.maximum(relu_grad * g, 0)}[rule]


def np_flow(params, x, signal, layer, rule, start="pre", to_layer=0):
    """The engine for one example, by hand: (targets, reconstructions) as in jaxprobe.flows."""
    zs, _ = np_forward(params, x)
    g = np.asarray(signal, np.float64)
    if start == "post":
        g = np_rule(rule, g, zs[layer - 1])
    targets, recons = [], []
    for k in range(layer, to_layer, -1):
        targets.append(g)
        g = g @ np.asarray(params[k - 1]["kernel"], np.float64).T
        recons.append(g)
        if k > to_layer + 1:
            g = np_rule(rule, g, zs[k - 2])
    return targets[::-1], recons[::-1]


def np_top(params, x, label, rule, from_prediction):
    zs, _ = np_forward(params, x)
    onehot = np.eye(3)[label]
    signal = (np.exp(zs[-1] - zs[-1].max()) / np.exp(zs[-1] - zs[-1].max()).sum() - onehot) if from_prediction \
        else onehot
    return np_flow(params, x, signal, 3, rule)


def per_example(fn, x, labels, batch):
    if batch is None:
        return fn(x, labels)
    return [fn(xi, li) for xi, li in zip(x, labels)]


# ------------------------------------------------------------------ flows
TOP_FLOWS = {
    "bp_dnn_targets": (jp.bp_dnn_targets, "y", "gradient", True, "all"),
    "guided_bp_dnn": (jp.guided_bp_dnn, "y", "guided_bp_dnn", False, "all"),
    "guided_backprop": (jp.guided_backprop, "target", "guided_backprop", False, "input"),
    "deconvnet": (jp.deconvnet, "target", "deconvnet", False, "input"),
    "saliency": (jp.saliency, "target", "gradient", False, "abs"),
}


@FUZZ
@given(flow=st.sampled_from(list(TOP_FLOWS)), batch=batch_sizes, params=params_cases, data=st.data())
def test_fuzz_flows_from_the_logits(flow, batch, params, data):
    fn, label_name, rule, from_prediction, output = TOP_FLOWS[flow]
    shape = (6,) if batch is None else (batch, 6)
    x, bad_x = data.draw(arrays([shape], [(5,), (2, 7), (1, 6, 1)], "x"))
    labels, bad_l = data.draw(indices(3, label_name, batch=batch))
    p, bad_p = params
    res = outcome(lambda: fn(MODEL, p, x, labels), bad_x | bad_l | bad_p)
    if res is None:
        return
    x64 = np.asarray(np.asarray(x, np.float32), np.float64)
    ref = per_example(lambda xi, li: np_top(p, xi, int(li), rule, from_prediction), x64, np.asarray(labels), batch)
    if output == "all":
        assert len(res.targets) == 3 and len(res.reconstructions) == 3
        for b, (targets, recons) in enumerate([ref] if batch is None else ref):
            for got, want in zip(res.targets + res.reconstructions, targets + recons):
                close(got if batch is None else got[b], want)
    else:
        want = np.stack([r[1][0] for r in ([ref] if batch is None else ref)])
        want = np.abs(want) if output == "abs" else want
        close(res if batch is not None else res[None], want)


@FUZZ
@given(layer=st.sampled_from([1, 2, 3, 0, 4, -1, True, 2.0, "1"]), batch=batch_sizes,
       rule=st.sampled_from(RULES + ("bogus", 3)), weight=st.sampled_from([True, False, "no", 1]),
       data=st.data())
def test_fuzz_neuron_flow_and_exact_filter(layer, batch, rule, weight, data):
    valid_layer = type(layer) is int and 1 <= layer <= 3
    size = MODEL.layer_shapes[layer - 1][0] if valid_layer else 5
    shape = (6,) if batch is None else (batch, 6)
    x, bad_x = data.draw(arrays([shape], [(2, 7)], "x"))
    unit, bad_u = data.draw(indices(size, "unit", batch=batch))
    bad = bad_x | bad_u | (set() if valid_layer else {"layer"}) | (set() if rule in RULES else {"rule"}) \
        | (set() if isinstance(weight, bool) else {"weight_by_activation"})
    res = outcome(lambda: jp.neuron_flow(MODEL, PARAMS, x, layer, unit, rule, weight_by_activation=weight), bad)
    if res is None:
        return
    x64 = np.asarray(np.asarray(x, np.float32), np.float64)

    def ref(xi, ui):
        _, os_ = np_forward(PARAMS, xi)
        signal = np.eye(size)[int(ui)] * (os_[layer][int(ui)] if weight else 1.0)
        return np_flow(PARAMS, xi, signal, layer, rule, start="post")[1][0]

    want = per_example(ref, x64, np.asarray(unit), batch)
    close(res.reconstructions[0], np.asarray(want))
    if rule == "exact_filter" and not weight:  # the exact filter is the unit's Jacobian row
        close(jp.exact_filter(MODEL, PARAMS, x, layer, unit), np.asarray(want))


@FUZZ
@given(layer=st.sampled_from([None, 1, 2, 3, 0, 5, 2.5]), to_layer=st.sampled_from([0, 1, 2, -1, True, 0.0]),
       start=st.sampled_from(["pre", "post", "bogus", None]), rule=st.sampled_from(RULES),
       params=params_cases, data=st.data())
def test_fuzz_backward_flow(layer, to_layer, start, rule, params, data):
    top = 3 if layer is None else layer
    valid_layer = layer is None or (type(layer) is int and 1 <= layer <= 3)
    width = MODEL.layer_shapes[top - 1][0] if valid_layer else 3
    x, bad_x = data.draw(arrays([(6,)], [(1, 6), (7,)], "x"))
    signal, bad_s = data.draw(arrays([(width,)], [(width + 1,), ()], "signal"))
    p, bad_p = params
    bad = bad_x | bad_s | bad_p | (set() if valid_layer else {"layer"}) | (set() if start in ("pre", "post") else {"start"})
    if valid_layer and not (type(to_layer) is int and 0 <= to_layer < top):
        bad |= {"to_layer"}
    if not valid_layer:
        bad |= {"to_layer"}  # checked against a layer that is itself wrong
    res = outcome(lambda: jp.backward_flow(MODEL, p, x, signal, layer=layer, rule=rule, start=start,
                                           to_layer=to_layer), bad)
    if res is None:
        return
    x64 = np.asarray(np.asarray(x, np.float32), np.float64)
    s64 = np.asarray(np.asarray(signal, np.float32), np.float64)
    targets, recons = np_flow(p, x64, s64, top, rule, start, to_layer)
    for got, want in zip(res.targets + res.reconstructions, targets + recons):
        close(got, want)


@FEW
@given(batched_trace=st.booleans(), layer=st.sampled_from([1, 2, 3, 0]), params=params_cases, data=st.data())
def test_fuzz_run_flow(batched_trace, layer, params, data):
    x = np.asarray(data.draw(st.lists(st.floats(-2, 2, width=32), min_size=6, max_size=6)), np.float32)
    trace = MODEL.trace(PARAMS, np.stack([x, x]) if batched_trace else x)
    width = MODEL.layer_shapes[max(layer, 1) - 1][0]
    signal, bad_s = data.draw(arrays([(width,)], [(width + 2,)], "signal"))
    p, bad_p = params
    bad = bad_s | bad_p | ({"trace"} if batched_trace else set()) | ({"layer"} if layer == 0 else set())
    res = outcome(lambda: jp.run_flow(MODEL, p, trace, signal, layer=layer, rule="gradient"), bad)
    if res is not None:
        s64 = np.asarray(np.asarray(signal, np.float32), np.float64)
        close(res.reconstructions[0], np_flow(PARAMS, x.astype(np.float64), s64, layer, "gradient")[1][0])


# ------------------------------------------------------------------ losses
@FUZZ
@given(n=st.sampled_from([0, 1, 4]), single=st.booleans(), data=st.data())
def test_fuzz_softmax_cross_entropy_and_accuracy(n, single, data):
    shape = (3,) if single else (n, 3)
    logits, bad_z = data.draw(arrays([shape], [(), (n, 3, 1)], "logits", values=st.floats(-30, 30, width=32)))
    if np.ndim(logits) == 3:
        bad_z = bad_z | {"labels"}  # (n, 3, 1): one class per row, so labels must be (n, 3)
    labels, bad_y = data.draw(indices(3, "labels", batch=None if single else n))
    if not single and n == 0:
        bad_z = bad_z | {"logits"}  # an empty batch: its mean is undefined
    for fn in (jp.softmax_cross_entropy, jp.accuracy):
        got = outcome(lambda: fn(logits, labels), bad_z | bad_y)
        if got is None:
            continue
        z = np.asarray(np.asarray(logits, np.float32), np.float64).reshape(-1, 3)
        y = np.asarray(labels).reshape(-1)
        if fn is jp.accuracy:
            close(got, np.mean(z.argmax(1) == y))
        else:
            logp = z - z.max(1, keepdims=True) - np.log(np.exp(z - z.max(1, keepdims=True)).sum(1, keepdims=True))
            close(got, -np.mean(logp[np.arange(len(y)), y]), rtol=1e-4, atol=1e-4)


@FUZZ
@given(fn=st.sampled_from(["fp", "bp"]), layer=st.sampled_from([1, 2, 3, 0, -1, 4, 1.0]), batch=batch_sizes,
       data=st.data())
def test_fuzz_direct_losses(fn, layer, batch, data):
    valid_layer = type(layer) is int and 1 <= layer <= 3
    l_ = layer if valid_layer else 1
    d_in = 6 if l_ == 1 else MODEL.layer_shapes[l_ - 2][0]
    d_out = MODEL.layer_shapes[l_ - 1][0]
    lead = () if batch is None else (batch,)
    o_prev, bad_o = data.draw(arrays([lead + (d_in,)], [lead + (d_in + 1,)], "o_prev"))
    target, bad_t = data.draw(arrays([lead + (d_out,)], [lead + (d_out + 1,), (4, d_out)], "target"))
    bad = bad_o | bad_t | (set() if valid_layer else {"layer"})
    fun = jp.fp_direct_loss if fn == "fp" else jp.bp_direct_loss
    got = outcome(lambda: fun(MODEL, PARAMS, layer, o_prev, target), bad)
    if got is None:
        return
    o = np.asarray(np.asarray(o_prev, np.float32), np.float64)
    t = np.asarray(np.asarray(target, np.float32), np.float64)
    W = np.asarray(PARAMS[layer - 1]["kernel"], np.float64)
    b = np.asarray(PARAMS[layer - 1]["bias"], np.float64)
    want = np.sum(t * (o @ W + b)) if fn == "fp" else -np.sum(o * (t @ W.T))
    close(got, want, rtol=1e-4, atol=1e-4)


# ------------------------------------------------------------------ builders
widths_cases = st.one_of(  # few distinct valid networks, so that their compiled forward passes are reused
    st.sampled_from([[4, 3], [4, 3, 2], [2, 3, 3, 2]]).map(lambda w: (w, set())),
    st.lists(st.integers(-2, 3), min_size=2, max_size=4).map(lambda w: (w, set() if min(w) >= 1 else {"widths"})),
    st.sampled_from([("784", {"widths"}), ([4, 2.7, 3], {"widths"}), ([4, True, 3], {"widths"}),
                     ([5], {"widths"}), (None, {"widths"}), ([4.0, 3], {"widths"})]),
)


@FUZZ
@given(widths=widths_cases, activation=st.sampled_from(["relu", "tanh", "gelu", ["relu"], 3]))
def test_fuzz_mlp(widths, activation):
    w, bad = widths
    n_hidden = len(w) - 2 if isinstance(w, list) else 0
    if activation == "gelu" or activation == 3 or (isinstance(activation, list) and len(activation) != n_hidden):
        bad = bad | {"activation"}
    model = outcome(lambda: jp.mlp(w, activation=activation), bad)
    if model is not None:
        assert model.input_shape == (w[0],) and model.layer_shapes == tuple((k,) for k in w[1:])
        if activation in ("relu", ["relu"]) and w in ([4, 3], [4, 3, 2], [2, 3, 3, 2]):
            params = model.init(jax.random.key(0))
            x = np.linspace(-1, 1, 2 * w[0], dtype=np.float32).reshape(2, w[0])
            close(model.apply(params, x), np_forward(params, x)[1][-1])


@FEW
@given(length=st.sampled_from([12, 0, 12.0]), kernels=st.sampled_from([[3], [3, 5], [0], "35"]),
       channels=st.sampled_from([1, 2, [2], [2, 3], [0, 1], 1.5]), n_classes=st.sampled_from([4, 0]))
def test_fuzz_cnn1d(length, kernels, channels, n_classes):
    bad = set()
    if not (type(length) is int and length >= 1):
        bad.add("length")
    if kernels in ([0], "35"):
        bad.add("kernel_sizes")
    if n_classes == 0:
        bad.add("n_classes")
    n_k = len(kernels) if isinstance(kernels, list) else 0
    if channels == 1.5 or channels == [0, 1] or (isinstance(channels, list) and len(channels) != n_k):
        bad.add("channels")
    model = outcome(lambda: jp.cnn1d(length, kernels, n_classes, channels=channels), bad)
    if model is not None:
        chans = [channels] * n_k if isinstance(channels, int) else channels
        assert model.layer_shapes == tuple((length, c) for c in chans) + ((n_classes,),)


@FEW
@given(pool=st.sampled_from([1, 2, 4, 16]), kernel=st.sampled_from([3, 9]), padding=st.sampled_from(["SAME", "VALID"]))
def test_fuzz_cnn2d_shapes(pool, kernel, padding):
    spatial = 8 if padding == "SAME" else 8 - kernel + 1
    bad = set()
    if spatial < 1:
        bad.add("kernel")
    elif pool > spatial:
        bad.add("max-pool")
    model = jp.cnn2d((8, 8), convs=[(3, kernel, pool)], dense=(), n_classes=2, padding=padding)
    shapes = outcome(lambda: model.layer_shapes, bad)  # the same walk as model.init, on abstract shapes
    if shapes is not None:
        assert shapes == ((spatial, spatial, 3), (2,))
        assert model.param_shapes[1]["kernel"].shape == ((spatial // pool) ** 2 * 3, 2)


# ------------------------------------------------------------------ training
@FEW
@given(batch_size=st.sampled_from([4, 8, 8.0, 0, 100]), steps=st.sampled_from([1, 3, 6, 0]),
       eval_every=st.sampled_from([None, 2, 4, 0]), snapshots=st.sampled_from([(), (0, 3), (7,), (-1,), 3]),
       key=st.sampled_from(["key", 1, "split"]), optimizer=st.sampled_from([None, "adam", "bogus", 3]),
       labels=st.sampled_from(["ok", "big", "float"]))
def test_fuzz_fit(batch_size, steps, eval_every, snapshots, key, optimizer, labels):
    rng = np.random.default_rng(0)
    model = jp.mlp([3, 4, 2])
    x = rng.normal(size=(24, 3)).astype(np.float32)
    y = {"ok": rng.integers(0, 2, 24), "big": np.full(24, 2), "float": np.zeros(24, np.float32)}[labels]
    keys = {"key": jax.random.key(0), 1: 1, "split": jax.random.split(jax.random.key(0), 2)}[key]
    bad = set()
    if labels != "ok":
        bad.add("train[1]")
    if batch_size in (0, 8.0, 100):
        bad.add("batch_size")
    if steps == 0:
        bad.add("steps")
    if eval_every == 0:
        bad.add("eval_every")
    if snapshots == 3 or any(not 0 <= s <= max(steps, 0) for s in (snapshots if snapshots != 3 else ())):
        bad.add("snapshot_steps")
    if key != "key":
        bad.add("key")
    if optimizer in ("bogus", 3):
        bad.add("optimizer")
    res = outcome(lambda: fit(model, model.init(jax.random.key(1)), (x, y), key=keys, batch_size=batch_size,
                              steps=steps, eval_every=eval_every, snapshot_steps=snapshots, optimizer=optimizer,
                              progress=False), bad)
    if res is None:
        return
    every = eval_every or 24 // batch_size
    assert res.steps_done == steps and sorted(res.snapshots) == sorted(set(snapshots))
    np.testing.assert_array_equal(res.history["step"], sorted(set(range(every, steps + 1, every)) | {steps}))
    assert int(res.nonfinite_step) == -1


# ------------------------------------------------------------------ Moore–Penrose
@FUZZ
@given(variant=st.sampled_from(list(mp.VARIANTS) + ["bogus"]), data=st.data())
def test_fuzz_image_matrix(variant, data):
    points, bad = data.draw(arrays([(4, 2), (5, 3)], [(4,), (2, 4, 2), (0, 2)], "points",
                                   values=st.floats(0, 1, width=32)))
    if variant == "bogus":
        bad = bad | {"variant"}
    if isinstance(points, np.ndarray) and points.dtype == bool:  # booleans are numbers here: 0 and 1
        bad = bad - {"points"} if np.shape(points) in [(4, 2), (5, 3)] else bad
    if isinstance(points, np.ndarray) and points.dtype == np.int32 and np.shape(points) in [(4, 2), (5, 3)]:
        bad = bad - {"points"}
    P = outcome(lambda: mp.image_matrix(points, variant), bad)
    if P is None:
        return
    v = np.asarray(points, np.float64)
    V = {"centred": v - v.mean(0), "linear": v, "affine_ls": np.c_[v, np.ones(len(v))]}[variant]
    close(P, V @ np.linalg.pinv(V), rtol=1e-6, atol=1e-8)  # the orthogonal projection onto span(V)


cell_cases = st.sampled_from([
    (dict(n=3, p=2, trials=16), set()), (dict(n=3, p=2, trials=9, seed=4), set()),
    (dict(n=0, p=2, trials=5), {"n"}), (dict(n=-1, p=2, trials=5), {"n"}), (dict(n=2.5, p=2, trials=5), {"n"}),
    (dict(n=3, p=0, trials=5), {"p"}), (dict(n=3, p=2, trials=0), {"trials"}), (dict(n=3, p=2, trials=1.5), {"trials"}),
    (dict(n=3, p=2, trials=5, r=float("nan")), {"r"}), (dict(n=3, p=2, trials=5, r=-1.0), {"r"}),
    (dict(n=3, p=2, trials=5, r=3.0), {"r"}), (dict(n=3, p=2, trials=5, r="a"), {"r"}),
    (dict(n=3, p=2, trials=5, variant="bogus"), {"variant"}), (dict(n=3, p=2, trials=5, seed=1.5), {"seed"}),
    (dict(n=3, p=2, trials=5, pad_to=2), {"pad_to"}),
])


@FEW
@given(case=cell_cases)
def test_fuzz_count_successes(case):
    kwargs, bad = case
    got = outcome(lambda: mp.count_successes(threads=1, **kwargs), bad)
    if got is None:
        return
    keys = mp.cell_keys(kwargs.get("seed", 0), kwargs["n"], kwargs["p"], kwargs["trials"])
    want = sum(mp.reference_success(np.asarray(mp.uniform_points(k, kwargs["n"], kwargs["p"]), np.float64))
               for k in keys)
    assert got == (want, kwargs["trials"], kwargs["trials"])


@FUZZ
@given(k=st.integers(-2, 12), n=st.integers(-1, 10), alpha=st.sampled_from([0.05, 0.0, 1.0, float("nan")]))
def test_fuzz_clopper_pearson(k, n, alpha):
    from scipy.stats import binomtest

    bad = set()
    if n < 0 or not 0 <= k <= n:
        bad = {"k=", "n"}
    if not 0 < alpha < 1:
        bad |= {"alpha"}
    got = outcome(lambda: clopper_pearson(k, n, alpha), bad)
    if got is not None and n > 0:
        want = binomtest(k, n).proportion_ci(confidence_level=1 - alpha, method="exact")
        close(got, (want.low, want.high), rtol=1e-8, atol=1e-10)


@FEW
@given(labels=st.sampled_from(["ok", "neg", "big", "float", "short"]), scale=st.sampled_from([1.0, 0.0, -1.0, np.nan]),
       nan_codes=st.booleans())
def test_fuzz_mp_output_layer(labels, scale, nan_codes):
    rng = np.random.default_rng(0)
    codes = rng.normal(size=(12, 2)).astype(np.float32)
    y = {"ok": np.arange(12) % 3, "neg": np.arange(12) % 3 - 1, "big": np.arange(12) % 4,
         "float": (np.arange(12) % 3).astype(np.float32), "short": np.arange(11) % 3}[labels]
    if nan_codes:
        codes[3, 1] = np.nan
    bad = (set() if labels == "ok" else {"labels"}) | ({"codes"} if nan_codes else set()) \
        | ({"scale"} if not scale > 0 else set())
    got = outcome(lambda: mp.mp_output_layer(codes, y, 3, scale=scale), bad)
    if got is not None:
        W, b = got
        means = np.stack([codes[y == k].mean(0) for k in range(3)])
        np.testing.assert_array_equal(np.argmax(means @ W + b, axis=1), np.arange(3))


@FEW
@given(key=st.sampled_from(["trial", "jax", "short", "float"]), n=st.sampled_from([4, 0]))
def test_fuzz_trial(key, n):
    keys = {"trial": mp.trial_keys(3, 1)[0], "jax": jax.random.key(0), "short": mp.trial_keys(3, 2),
            "float": jnp.zeros(2)}[key]
    bad = (set() if key == "trial" else {"key"}) | (set() if n == 4 else {"n"})
    got = outcome(lambda: mp.trial(keys, n=n, p=2), bad)
    if got is not None:
        assert bool(got[0]) == mp.reference_success(np.asarray(mp.uniform_points(keys, n, 2), np.float64))


# ------------------------------------------------------------------ data
@FEW
@given(n_per_class=st.sampled_from([1, 2, 0, 1.5]), sigma=st.sampled_from([0.0, 0.5, -1.0, np.nan]),
       theta=st.sampled_from([3.0, np.inf]), geometry=st.sampled_from([(10, 3, 6), (10, 1, 6), (10, 7, 6), (1, 1, 1)]))
def test_fuzz_make_jumps(n_per_class, sigma, theta, geometry):
    length, first, last = geometry
    bad = set()
    if not (type(n_per_class) is int and n_per_class >= 1):
        bad.add("n_per_class")
    if not np.isfinite(sigma) or sigma < 0:
        bad.add("sigma")
    if not np.isfinite(theta):
        bad.add("theta")
    if geometry != (10, 3, 6):
        bad |= {"first", "length"}
    got = outcome(lambda: make_jumps(jax.random.key(0), n_per_class, sigma=sigma, theta=theta, length=length,
                                     first=first, last=last), bad)
    if got is None:
        return
    x, y = got
    assert np.bincount(np.asarray(y), minlength=4).tolist() == [n_per_class] * 4
    if sigma == 0.0:  # noise-free: each row is the clean step of its class
        np.testing.assert_array_equal(np.asarray(x), np.asarray(clean_jumps(theta, length, first, last))[np.asarray(y)])


@FEW
@given(n_per_class=st.sampled_from([1, 3, 4, 0, -1, 2.0]), labels=st.sampled_from(["1d", "2d"]))
def test_fuzz_balanced_indices(n_per_class, labels):
    y = np.repeat(np.arange(3), 3)
    y = y if labels == "1d" else y[:, None]
    bad = (set() if type(n_per_class) is int and 1 <= n_per_class <= 3 else {"n_per_class"}) \
        | (set() if labels == "1d" else {"labels"})
    got = outcome(lambda: balanced_indices(y, n_per_class), bad)
    if got is not None:
        assert np.bincount(y[got]).tolist() == [n_per_class] * 3 and len(set(got.tolist())) == len(got)


@FUZZ
@given(batch=batch_sizes, params=params_cases, data=st.data())
def test_fuzz_apply_and_trace(batch, params, data):
    shape = (6,) if batch is None else (batch, 6)
    x, bad_x = data.draw(arrays([shape], [(5,), (2, 7)], "x"))
    p, bad_p = params
    if p is NAN_PARAMS:
        bad_p = set()  # a forward pass propagates NaN parameters honestly (the flows refuse them)
    x_nan = isinstance(x, np.ndarray) and x.dtype.kind == "f" and not np.all(np.isfinite(x))
    logits = outcome(lambda: MODEL.apply(p, x), bad_x | bad_p)
    if logits is None:
        return
    want = np_forward(p, np.asarray(np.asarray(x, np.float32), np.float64))[0][-1]
    if x_nan or not np.all(np.isfinite(want)):
        return
    close(logits, want)
    close(MODEL.trace(p, x).pre[0], np_forward(p, np.asarray(np.asarray(x, np.float32), np.float64))[0][0])


def test_fuzz_suite_has_a_reference_for_every_flow():
    """The flows above are all the public flows of jaxprobe (a new one must join the fuzz suite)."""
    public = {"backward_flow", "bp_dnn_targets", "guided_bp_dnn", "guided_backprop", "deconvnet", "saliency",
              "neuron_flow", "exact_filter", "run_flow", "random_backward_params"}
    assert public == {n for n in jp.flows.__dict__ if not n.startswith("_") and callable(getattr(jp.flows, n))
                      and getattr(getattr(jp.flows, n), "__module__", "") == "jaxprobe.flows"
                      and n not in {"FlowResult"}}
    with pytest.raises(TypeError, match=r"key must be a jax.random key"):
        jp.random_backward_params(3, PARAMS)
