"""Input synthesis pinned to ground truth: jax.grad steps, per-example stopping, vmap = separate calls."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxprobe as jp
from jaxprobe.probes import synthesis as sy

jax.config.update("jax_default_matmul_precision", "highest")


def _identity_net():
    """x ∈ R¹ → logit z = x (one linear dense stage): the objective is x itself, its gradient 1."""
    net = jp.mlp([1, 1])
    params = ({"kernel": jnp.ones((1, 1)), "bias": jnp.zeros(1)},)
    return net, params


def _tiny_cnn():
    net = jp.cnn2d((8, 8), convs=[(3, 3, 1), (4, 3, 2)], dense=(), n_classes=3)
    params = net.init(jax.random.key(0))
    params = tuple({**p, "bias": 0.1 + 0 * p["bias"]} for p in params)
    return net, params


def test_one_step_is_x_plus_alpha_times_jax_grad():
    net, params = _tiny_cnn()
    starts = sy.uniform_starts(jax.random.key(1), 2, net.input_shape)
    objective = sy.UnitActivation(2, pre=True)
    res = sy.ascend(net, params, objective, jnp.array([5, 17]), starts, step_size=0.7, max_iter=1)
    for t, unit in enumerate((5, 17)):
        for s in range(2):
            grad = jax.grad(lambda x: net.trace_one(params, x).pre[1].reshape(-1)[unit])(starts[s])
            np.testing.assert_allclose(res.inputs[t, s], starts[s] + 0.7 * grad, rtol=1e-6, atol=1e-7)
            want = net.trace_one(params, res.inputs[t, s]).pre[1].reshape(-1)[unit]
            np.testing.assert_allclose(res.values[t, s], want, rtol=1e-6)
    assert np.asarray(res.iterations).tolist() == [[1, 1], [1, 1]]
    assert not np.asarray(res.stopped).any()


@pytest.mark.parametrize("loop", ["while", "host"])
def test_each_start_stops_at_its_own_iteration(loop):
    net, params = _identity_net()
    starts = jnp.array([[0.5], [2.5], [4.5], [6.0]])
    res = sy.ascend(net, params, sy.Logit(), jnp.array([0]), starts, step_size=1.0, stop=sy.Above(5.0),
                    max_iter=50, loop=loop)
    # the value after n steps is s + n; the rule wants > 5: n = 5, 3, 1 and 0 (already above at the start)
    assert np.asarray(res.iterations[0]).tolist() == [5, 3, 1, 0]
    np.testing.assert_allclose(res.inputs[0, :, 0], [5.5, 5.5, 5.5, 6.0])
    np.testing.assert_allclose(res.values[0], [5.5, 5.5, 5.5, 6.0])
    assert bool(res.stopped.all())


def test_fixed_point_rule_with_clipping_and_the_iteration_guard():
    net, params = _identity_net()
    starts = jnp.array([[0.2], [0.9]])
    res = sy.ascend(net, params, sy.Logit(), jnp.array([0]), starts, step_size=0.5, stop=sy.Converged(1e-6),
                    transforms=sy.Clip(0.0, 1.0), max_iter=50)
    # 0.2 → 0.7 → 1.0 → 1.0 (no move: stop) ; 0.9 → 1.0 → 1.0
    assert np.asarray(res.iterations[0]).tolist() == [3, 2]
    np.testing.assert_allclose(res.inputs[0, :, 0], [1.0, 1.0])
    guard = sy.ascend(net, params, sy.Logit(), jnp.array([0]), starts, step_size=0.5, stop=sy.Above(100.0),
                      max_iter=7)
    assert np.asarray(guard.iterations).tolist() == [[7, 7]] and not bool(guard.stopped.any())
    np.testing.assert_allclose(guard.inputs[0, :, 0], [3.7, 4.4], rtol=1e-6)
    decayed = sy.ascend(net, params, sy.Logit(), jnp.array([0]), starts[:1], step_size=0.5,
                        transforms=(sy.L2Decay(0.5),), max_iter=1)
    np.testing.assert_allclose(decayed.inputs[0, 0, 0], 0.5 * (0.2 + 0.5), rtol=1e-6)


def test_stalled_rule_stops_at_the_first_step_that_does_not_improve():
    net = jp.mlp([1, 2, 1])  # z = −relu(x − 2) − relu(2 − x) = −|x − 2|, maximal at x = 2
    params = ({"kernel": jnp.array([[1.0, -1.0]]), "bias": jnp.array([-2.0, 2.0])},
              {"kernel": jnp.array([[-1.0], [-1.0]]), "bias": jnp.zeros(1)})
    for rtol in (0.0, 1e-4):  # rtol > 0 once stopped every start at step 0 (rtol · |−inf| = inf)
        res = sy.ascend(net, params, sy.Logit(), jnp.array([0]), jnp.array([[0.0], [1.0]]), step_size=1.5,
                        stop=sy.Stalled(rtol), max_iter=20)
        # 0 → 1.5 (−0.5, better) → 3.0 (−1.0, worse: stop); 1 → 2.5 (−0.5, better) → 1.0 (−1.0, worse: stop)
        assert np.asarray(res.iterations).tolist() == [[2, 2]]
        np.testing.assert_allclose(res.inputs[0, :, 0], [3.0, 1.0])
        np.testing.assert_allclose(res.values[0], [-1.0, -1.0])


def test_vmapped_over_units_and_starts_equals_separate_calls():
    net, params = _tiny_cnn()
    targets = jnp.array([0, 9, 30])
    starts = sy.uniform_starts(jax.random.key(2), 2, net.input_shape)
    kwargs = dict(step_size=0.5, max_iter=12, stop=sy.Converged(1e-3), transforms=sy.Clip(0.0, 1.0))
    objective = sy.UnitActivation(2, pre=True)
    together = sy.ascend(net, params, objective, targets, starts, **kwargs)
    for t in range(3):
        for s in range(2):
            alone = sy.ascend(net, params, objective, targets[t:t + 1], starts[s:s + 1], **kwargs)
            np.testing.assert_allclose(together.inputs[t, s], alone.inputs[0, 0], rtol=1e-5, atol=1e-6)
            assert int(together.iterations[t, s]) == int(alone.iterations[0, 0])
            assert bool(together.stopped[t, s]) == bool(alone.stopped[0, 0])
    # per-target starts (T, S, …) give the same as shared starts repeated
    per_target = sy.ascend(net, params, objective, targets, jnp.broadcast_to(starts, (3,) + starts.shape), **kwargs)
    np.testing.assert_allclose(per_target.inputs, together.inputs, rtol=1e-6, atol=1e-7)
    # the two drivers of the same compiled step agree: one lax.while_loop, or a Python loop of calls
    by_host, by_while = (sy.ascend(net, params, objective, targets, starts, loop=loop, **kwargs)
                         for loop in ("host", "while"))
    np.testing.assert_allclose(by_host.inputs, by_while.inputs, rtol=1e-6, atol=1e-7)
    assert np.array_equal(by_host.iterations, by_while.iterations)
    assert np.array_equal(by_host.stopped, by_while.stopped)


def test_class_probability_objective_reaches_the_threshold():
    net = jp.mlp([6, 16, 3])
    params = net.init(jax.random.key(4))
    starts = sy.uniform_starts(jax.random.key(5), 4, net.input_shape, -0.05, 0.05)
    res = sy.ascend(net, params, sy.ClassProbability(), jnp.arange(3), starts, step_size=10.0,
                    stop=sy.Above(0.999), max_iter=2000)
    probs = jax.nn.softmax(net.apply(params, res.inputs.reshape(-1, 6)))
    hit = np.asarray(res.stopped).reshape(-1)
    assert hit.mean() >= 0.75  # a start with every hidden unit dead cannot move: the guard catches it
    chosen = np.asarray(probs)[np.arange(12), np.repeat(np.arange(3), 4)]
    assert (chosen[hit] > 0.999).all()


@pytest.mark.parametrize("kwargs, match", [
    (dict(targets=[0, 256]), "targets"),
    (dict(step_size=float("nan")), "step_size"),
    (dict(step_size=-1.0), "step_size"),
    (dict(starts=np.zeros((0, 8, 8), np.float32)), "starts"),
    (dict(starts=np.zeros((2, 7, 8), np.float32)), "starts"),
    (dict(max_iter=0), "max_iter"),
    (dict(loop="gpu"), "loop"),
])
def test_bad_arguments_name_themselves(kwargs, match):
    net, params = _tiny_cnn()
    args = dict(targets=[0, 1], starts=np.zeros((2, 8, 8), np.float32), step_size=1.0, max_iter=3)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        sy.ascend(net, params, sy.UnitActivation(2), args.pop("targets"), args.pop("starts"), **args)


class _UnhashableRule:
    __hash__ = None

    def __call__(self, value, previous, change):
        return value > 1.0


def test_unhashable_or_uncallable_rules_are_refused():
    net, params = _identity_net()
    with pytest.raises(TypeError, match="hashable"):
        sy.ascend(net, params, sy.Logit(), [0], jnp.zeros((1, 1)), step_size=1.0, stop=[sy.Above(1.0), _UnhashableRule()])
    with pytest.raises(TypeError, match="callables"):
        sy.ascend(net, params, sy.Logit(), [0], jnp.zeros((1, 1)), step_size=1.0, transforms=(0.5,))


# ---------------------------------------------------------------------------------- regularisers (eq. 2.8)
def test_blur_equals_a_hand_computed_reflected_convolution():
    x = jnp.array([1.0, 2.0, 4.0, 8.0, 16.0])
    a, b = np.exp(-0.5), 1.0
    a, b = a / (2 * a + b), b / (2 * a + b)  # σ = 1, radius 1: weights (a, b, a)
    padded = [1.0, 1.0, 2.0, 4.0, 8.0, 16.0, 16.0]  # borders reflected: d c b a | a b c d
    want = [a * padded[i] + b * padded[i + 1] + a * padded[i + 2] for i in range(5)]
    np.testing.assert_allclose(sy.Blur(1.0, truncate=1.0)(x), want, rtol=1e-6)
    ndimage = pytest.importorskip("scipy.ndimage")
    image = np.asarray(jax.random.uniform(jax.random.key(0), (7, 9, 2)))
    np.testing.assert_allclose(jax.jit(sy.Blur(1.3))(jnp.asarray(image)),
                               ndimage.gaussian_filter(image, (1.3, 1.3, 0), mode="reflect"), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(jax.jit(sy.Blur(0.8))(jnp.asarray(image[..., 0])),
                               ndimage.gaussian_filter(image[..., 0], 0.8, mode="reflect"), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="sigma"):
        sy.Blur(0.0)


def test_small_norm_and_small_contribution_clipping():
    x = jnp.array([[0.1, -3.0], [2.0, -0.5]])
    np.testing.assert_allclose(sy.ClipSmallNorm(50.0)(x), [[0.0, -3.0], [2.0, 0.0]])
    rgb = jnp.stack([x, 0 * x], axis=-1)  # the norm over channels
    np.testing.assert_allclose(sy.ClipSmallNorm(30.0)(rgb)[..., 0], [[0.0, -3.0], [2.0, -0.5]])
    grad = jnp.array([[10.0, 0.01], [1.0, 1.0]])  # |x ⊙ g| = 1, 0.03, 2, 0.5
    np.testing.assert_allclose(sy.ClipSmallContribution(50.0)(x, grad=grad), [[0.1, 0.0], [2.0, 0.0]])


def test_jitter_is_reproducible_and_shifts_by_the_drawn_amount():
    net = jp.mlp([9, 4, 2])
    params = jax.tree.map(jnp.zeros_like, net.init(jax.random.key(0)))  # no gradient: only the jitter moves x
    starts = sy.uniform_starts(jax.random.key(3), 3, net.input_shape)
    key, jitter = jax.random.key(7), sy.Jitter(3)
    run = lambda k: sy.ascend(net, params, sy.Logit(), jnp.array([0]), starts, step_size=1.0, max_iter=2,
                              transforms=(sy.Clip(-9.0, 9.0), jitter), key=k)
    res = run(key)
    for e in range(3):
        # transform 1 of the tuple at step k, example e; two steps compose the two rolls
        shifts = [jitter.shifts(jax.random.fold_in(sy.step_keys(key, k, 3)[e], 1), 1) for k in (0, 1)]
        assert all(np.abs(np.asarray(sh)).max() <= 3 for sh in shifts)
        np.testing.assert_array_equal(res.inputs[0, e], jnp.roll(starts[e], int(shifts[0][0] + shifts[1][0])))
    np.testing.assert_array_equal(run(key).inputs, res.inputs)
    assert not np.allclose(run(jax.random.key(8)).inputs, res.inputs)
    with pytest.raises(ValueError, match="key"):
        run(None)


def test_fourier_round_trip_and_step_equal_jax_grad_of_the_composed_map():
    net = jp.cnn2d((8, 8), convs=[], dense=(6,), n_classes=3)
    params = net.init(jax.random.key(0))
    fourier, shape = sy.Fourier(decay=1.0), net.input_shape
    starts = sy.uniform_starts(jax.random.key(1), 2, shape)
    p0 = fourier.from_input(starts[0])
    assert p0.shape == (2, 8, 5)
    np.testing.assert_allclose(fourier.to_input(p0, shape), starts[0], rtol=1e-5, atol=1e-6)
    # the pull-back is the transpose of the linear map: <g, T d> = <Tᵀ g, d>
    g, d = jax.random.normal(jax.random.key(2), shape), jax.random.normal(jax.random.key(3), p0.shape)
    pulled = jax.vjp(lambda q: fourier.to_input(q, shape), p0)[1](g)[0]
    np.testing.assert_allclose(jnp.vdot(g, fourier.to_input(d, shape)), jnp.vdot(pulled, d), rtol=1e-4)
    objective = sy.UnitActivation(2, pre=True)
    res = sy.ascend(net, params, objective, jnp.array([1]), starts, step_size=0.3, max_iter=1,
                    parameterisation=fourier)
    composed = lambda q: objective(net.trace_one(params, fourier.to_input(q, shape)), 1)
    step = jax.jit(jax.vmap(lambda x: fourier.to_input(fourier.from_input(x) + 0.3 * jax.grad(composed)(
        fourier.from_input(x)), shape)))
    np.testing.assert_allclose(res.inputs[0], step(starts), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="Fourier"):
        sy.ascend(*_identity_net(), sy.Logit(), [0], jnp.zeros((1, 1)), step_size=1.0, parameterisation=fourier)


def test_the_host_loop_shrinks_the_batch_to_the_running_starts_with_the_same_results(monkeypatch):
    monkeypatch.setattr(sy, "COMPACT_MIN_ROWS", 16)  # small batches, few compilations
    net, params = _identity_net()
    starts = jnp.linspace(-40.0, 5.5, 4 * 16 + 3)[:, None]  # 0..45 steps to pass 5
    n, sizes = starts.shape[0], []
    for running in range(n, 0, -1):  # as the starts stop, the batch shrinks 67 → 64 → 32 → 16
        size = sy.compacted_rows(sizes[-1] if sizes else n, running)
        sizes += [size] if size is not None else []
    assert sizes == [64, 32, 16]
    kwargs = dict(step_size=1.0, stop=sy.Above(5.0), max_iter=100)
    host, loop_ = (sy.ascend(net, params, sy.Logit(), jnp.array([0]), starts, loop=loop, **kwargs)
                   for loop in ("host", "while"))
    want, x = np.zeros(starts.shape[0], int), np.asarray(starts[:, 0], np.float32)
    for _ in range(100):  # the same float32 arithmetic, one start at a time
        running = x <= 5.0
        x, want = np.where(running, x + np.float32(1.0), x), want + running
    assert np.asarray(host.iterations[0]).tolist() == want.tolist()
    assert np.array_equal(host.iterations, loop_.iterations) and bool(host.stopped.all())
    np.testing.assert_array_equal(host.inputs, loop_.inputs)
    np.testing.assert_array_equal(host.inputs[0, :, 0], x)
