"""Rules on any JAX function: a jaxpr interpreter that puts the rule at each activation.

:func:`with_rule` traces a function to a jaxpr and evaluates it again equation by equation, with
every activation on the signal's path (the operations that depend on the arguments ``argnums``)
replaced by a ``jax.custom_vjp`` of the same forward values whose backward pass is the rule
``rule(g, z, activation)`` of ``jaxprobe.rules``, z being the activation's forward input. Everything
else is bound unchanged, so ``jax.vjp`` of the result is the ordinary transposed pass everywhere
but at the activations: max-pooling unpools through its forward switches, a sum splits the signal
over a skip connection, inference-mode batch norm passes it through its affine map (seed 004
eq. 2–9 on any network, not only a stack of stages). The result stays jit-able and vmap-able.

How the interpreter sees the primitives on the signal's path:

=====================  ==========================================================  ======================
kind                   primitives                                                  backward pass
=====================  ==========================================================  ======================
activation             ``jax.nn.relu`` (a custom-JVP call), ``max(x, 0)`` with a   the rule, with
                       zero constant, ``tanh``, ``logistic`` (``jax.nn.sigmoid``)  'relu'/'tanh'/'sigmoid'
linear                 sums, differences, ``dot_general`` and convolutions with    the transpose
                       one signal operand, products and quotients by constants,
                       reshapes, slices, pads, sums over axes and windows
                       (average pooling), casts
routing                ``max``/``min`` between signals, ``reduce_max``,            the ordinary VJP
                       ``reduce_window_max`` (max-pooling), ``select_n`` between   (to the forward
                       signals, gathers, sorts; comparisons (no signal)            switches)
other nonlinearity     anything else: ``exp``, ``log``, ``rsqrt``, ``erf``,        the ordinary VJP when
                       ``integer_pow``, a product of two signals, ``max`` with a   the rule is marked
                       nonzero constant, ``select_n`` of a signal and a constant,  ``gradient_elsewhere``;
                       the named jax.nn functions of :data:`NAMED_NONLINEARITIES`  otherwise a ValueError
                                                                                   naming the primitive
calls                  ``jit``, ``closed_call``, ``remat``, custom JVP/VJP calls   inlined (a custom call
                                                                                   only if it holds an
                                                                                   activation: its body's
                                                                                   ordinary VJP then
                                                                                   replaces its custom one)
control flow           ``cond``, ``while``, ``scan``                               unchanged; refused if
                                                                                   they hold an activation
=====================  ==========================================================  ======================

``jax.nn.gelu`` is not a call of its own in a jaxpr (JAX inlines it): its ``integer_pow`` or
``erf`` is what a rule without ``gradient_elsewhere`` refuses, and its ``tanh`` counts as a tanh.

>>> import jax, jax.numpy as jnp
>>> f = lambda x: jnp.sum(jax.nn.relu(jnp.array([[1.0, -1.0], [-1.0, 2.0]]) @ x))
>>> x = jnp.array([1.0, 2.0])                       # z = (-1, 3): the first rectifier is off
>>> jax.grad(f)(x).tolist(), jax.grad(with_rule(f, "deconvnet"))(x).tolist()
([-1.0, 2.0], [0.0, 1.0])
"""

from __future__ import annotations

import functools
from typing import Callable, NamedTuple, Optional, Sequence

import jax
import jax.extend.core as jcore
import numpy as np

from jaxprobe.models import activation_fn
from jaxprobe.rules import Rule, get_rule, is_gradient_elsewhere

#: Primitives that are an activation by themselves, and the rule's name for them.
ACTIVATION_PRIMITIVES = {"tanh": "tanh", "logistic": "sigmoid"}

#: jax.nn functions a jaxpr names (a ``jit`` or custom-JVP call of that name): other nonlinearities.
NAMED_NONLINEARITIES = frozenset({
    "relu6", "silu", "swish", "gelu", "softplus", "sparse_plus", "soft_sign", "log_sigmoid", "elu",
    "celu", "selu", "leaky_relu", "hard_tanh", "hard_sigmoid", "hard_silu", "hard_swish", "mish",
    "squareplus", "sparse_sigmoid", "glu", "softmax", "log_softmax", "logsumexp", "standardize",
})

#: Linear in all their operands together.
LINEAR = frozenset({
    "add", "add_any", "sub", "neg", "reshape", "transpose", "broadcast_in_dim", "squeeze", "expand_dims",
    "slice", "pad", "concatenate", "split", "rev", "reduce_sum", "reduce_window_sum", "cumsum",
    "convert_element_type", "copy", "copy_p", "device_put", "reduce_precision", "real", "imag", "conj",
    "complex", "sharding_constraint", "mesh_cast", "optimization_barrier", "psum", "all_gather",
    "scatter-add", "scatter_add",
})

#: Linear in whichever one operand carries the signal (a product of two signals is not).
BILINEAR = frozenset({"mul", "dot_general", "conv_general_dilated", "ragged_dot"})

#: Piecewise selections among signals (max-pooling and its kin), and outputs that carry no signal.
ROUTING = frozenset({
    "reduce_max", "reduce_min", "reduce_window_max", "reduce_window_min", "argmax", "argmin", "sort",
    "top_k", "cummax", "cummin", "gather", "dynamic_slice", "dynamic_update_slice", "scatter",
    "select_and_gather_add", "select_and_scatter_add", "eq", "ne", "lt", "le", "gt", "ge", "and", "or",
    "not", "xor", "is_finite", "stop_gradient", "iota",
})

CALLS = frozenset({"jit", "pjit", "closed_call", "core_call", "remat", "remat2", "checkpoint"})
CUSTOM_CALLS = frozenset({"custom_jvp_call", "custom_vjp_call", "custom_vjp_call_jaxpr"})


class Site(NamedTuple):
    """One activation on the signal's path, in forward order: its rule name and its output's shape."""

    activation: str
    shape: tuple
    dtype: np.dtype


# ------------------------------------------------------------------ the rule as a custom VJP
@functools.lru_cache(maxsize=None)
def ruled_activation(activation: str, rule: Rule) -> Callable:
    """The activation ``activation`` ('relu', 'sigmoid', 'tanh') with ``rule`` as its VJP.

    >>> import jax.numpy as jnp
    >>> from jaxprobe import rules
    >>> f = ruled_activation("relu", rules.deconvnet)
    >>> jax.vjp(f, jnp.array([-1.0, 2.0]))[1](jnp.array([3.0, -4.0]))[0].tolist()
    [3.0, 0.0]
    """
    forward = activation_fn(activation)

    @jax.custom_vjp
    def ruled(z):
        return forward(z)

    def fwd(z):
        return forward(z), z

    def bwd(z, g):
        return (rule(g, z, activation).astype(z.dtype),)

    ruled.defvjp(fwd, bwd)
    return ruled


# ------------------------------------------------------------------ classifying one equation
def _literal_zero(value) -> bool:
    if isinstance(value, jax.core.Tracer):
        return False
    try:
        arr = np.asarray(value)
    except Exception:  # noqa: BLE001 - an exotic constant is simply not a known zero
        return False
    return arr.size <= 1_000_000 and bool(np.all(arr == 0))


def _open(jaxpr) -> tuple:
    """(Jaxpr, consts) of a Jaxpr or ClosedJaxpr."""
    if isinstance(jaxpr, jcore.ClosedJaxpr):
        return jaxpr.jaxpr, list(jaxpr.consts)
    return jaxpr, []


def _call_body(eqn):
    for key in ("jaxpr", "call_jaxpr"):
        if key in eqn.params:
            return _open(eqn.params[key])
    raise NotImplementedError(f"no body found in the call primitive '{eqn.primitive.name}'")


def _custom_name(eqn) -> str:
    try:
        return eqn.params["call_jaxpr"].jaxpr.debug_info.func_name
    except AttributeError:
        return eqn.primitive.name


def _is_relu_body(jaxpr) -> bool:
    """True when ``jaxpr`` (one input) computes max(input, 0), through nested single-call wrappers."""
    jaxpr, consts = _open(jaxpr)
    if len(jaxpr.invars) != 1 or len(jaxpr.eqns) != 1 or len(jaxpr.outvars) != 1:
        return False
    (eqn,) = jaxpr.eqns
    if eqn.outvars[0] is not jaxpr.outvars[0]:
        return False
    if eqn.primitive.name in CALLS:
        return list(eqn.invars) == list(jaxpr.invars) and _is_relu_body(_call_body(eqn)[0])
    if eqn.primitive.name != "max":
        return False
    known = dict(zip(jaxpr.constvars, consts))
    a, b = eqn.invars
    zero = lambda v: _literal_zero(v.val) if isinstance(v, jcore.Literal) else (v in known and _literal_zero(known[v]))
    x = jaxpr.invars[0]
    return (a is x and zero(b)) or (b is x and zero(a))


def _inexact(v) -> bool:
    return np.issubdtype(v.aval.dtype, np.inexact)


class _Kind(NamedTuple):
    kind: str  # 'site' | 'other' | 'call' | 'opaque' | 'plain'
    detail: object = None


def _classify(eqn, dep: Sequence[bool], is_zero: Callable) -> _Kind:
    """What ``eqn`` is on the signal's path, given which of its operands carry the signal."""
    name = eqn.primitive.name
    if not any(d and _inexact(v) for d, v in zip(dep, eqn.invars)) and name not in CALLS | CUSTOM_CALLS:
        return _Kind("plain")  # only integers or booleans computed from the signal: no signal passes
    if name in ACTIVATION_PRIMITIVES:
        return _Kind("site", (ACTIVATION_PRIMITIVES[name], 0))
    if name in ("max", "min"):
        if all(dep):
            return _Kind("plain")
        signal = 0 if dep[0] else 1
        if name == "max" and is_zero(eqn.invars[1 - signal]):
            return _Kind("site", ("relu", signal))
        return _Kind("other", f"{name} with a constant")
    if name == "custom_jvp_call" and _is_relu_body(eqn.params["call_jaxpr"]):
        return _Kind("site", ("relu", eqn.params.get("num_consts", 0)))
    if name in CUSTOM_CALLS:
        label = _custom_name(eqn)
        if label in NAMED_NONLINEARITIES:
            return _Kind("other", label)
        return _Kind("call", label)
    if name in CALLS:
        label = eqn.params.get("name", name)
        if label in NAMED_NONLINEARITIES:
            return _Kind("other", label)
        return _Kind("call", label)
    if name in LINEAR or name in ROUTING:
        return _Kind("plain")
    if name in BILINEAR:
        return _Kind("plain") if sum(dep) <= 1 else _Kind("other", f"{name} of two signals")
    if name == "div":
        return _Kind("plain") if not dep[1] else _Kind("other", "div by a signal")
    if name == "select_n":
        if not dep[0] or all(dep[1:]):
            return _Kind("plain")
        return _Kind("other", "select_n chosen by the signal, between the signal and a constant")
    if any(True for _ in jcore.jaxprs_in_params(eqn.params)):
        return _Kind("opaque", name)
    return _Kind("other", name)


# ------------------------------------------------------------------ the walk
class _Survey:
    """Collects the sites and the first other nonlinearity; never raises."""

    def __init__(self):
        self.sites: list = []
        self.other: Optional[str] = None

    def site(self, activation, z, out_aval):
        self.sites.append(Site(activation, tuple(out_aval.shape), np.dtype(out_aval.dtype)))
        return None

    def nonlinearity(self, label, eqn):
        self.other = self.other or _describe(label, eqn)


class _Ruling(_Survey):
    """Puts the rule at each site (with its taps) and refuses what the rule does not define."""

    def __init__(self, rule: Rule, taps):
        super().__init__()
        self.rule, self.taps = rule, taps
        self.strict = not is_gradient_elsewhere(rule)

    def site(self, activation, z, out_aval):
        k = len(self.sites)
        if self.taps is not None and k >= len(self.taps):
            raise ValueError(f"taps holds {len(self.taps)} pairs, fewer than the function's activation sites "
                             "(see activation_sites).")
        super().site(activation, z, out_aval)
        z = jax.numpy.broadcast_to(z, out_aval.shape)
        if self.taps is not None:
            z = z + self.taps[k][0]
        o = ruled_activation(activation, self.rule)(z)
        return o + self.taps[k][1] if self.taps is not None else o

    def nonlinearity(self, label, eqn):
        if self.strict:
            rule = getattr(self.rule, "__name__", repr(self.rule))
            raise ValueError(
                f"rule={rule!r} is not defined at the nonlinearity {_describe(label, eqn)} that the function "
                "applies to its input's signal: a rule acts at relu, sigmoid and tanh. Use a rule that is the "
                "gradient there (rule='gradient', or rule=jaxprobe.rules.gradient_elsewhere(rule), Captum's "
                "convention), or write the activation as jax.nn.relu / jnp.tanh / jax.nn.sigmoid.")


def _describe(label, eqn) -> str:
    where = _source_line(eqn)
    return f"'{label}'" + (f" ({where})" if where else "")


def _source_line(eqn) -> str:
    """The innermost jax.nn function or user line that made ``eqn``, when JAX recorded it."""
    try:
        frames = eqn.source_info.traceback.frames
    except AttributeError:
        return ""
    for frame in frames:
        if frame.file_name.endswith("jax/_src/nn/functions.py"):
            return f"in jax.nn.{frame.function_name}"
    for frame in frames:
        if "/jax/" not in frame.file_name and "/jaxprobe/interpret.py" not in frame.file_name:
            return f"at {frame.file_name}:{frame.line_num}"
    return ""


def _walk(jaxpr, consts, args, dep_args, ctx, evaluate: bool):
    """Evaluates (``evaluate``) or surveys ``jaxpr``; returns (outputs, their signal flags, zero flags)."""
    env, dep, zero = {}, set(), set()
    for v, c in zip(jaxpr.constvars, consts):
        env[v] = c
    for v, a, d in zip(jaxpr.invars, args, dep_args):
        env[v] = a
        if d:
            dep.add(v)

    def read(v):
        return v.val if isinstance(v, jcore.Literal) else env.get(v)

    def carries(v):
        return not isinstance(v, jcore.Literal) and v in dep

    def is_zero(v):
        if isinstance(v, jcore.Literal):
            return _literal_zero(v.val)
        return v in zero or (v in env and env[v] is not None and v in jaxpr.constvars and _literal_zero(env[v]))

    for eqn in jaxpr.eqns:
        flags = [carries(v) for v in eqn.invars]
        invals = [read(v) for v in eqn.invars] if evaluate else None
        out_dep = [any(flags)] * len(eqn.outvars)
        out_zero = [False] * len(eqn.outvars)
        kind = _classify(eqn, flags, is_zero) if any(flags) else _Kind("plain")
        outs = None
        if kind.kind == "site":
            activation, operand = kind.detail
            outs = [ctx.site(activation, invals[operand] if evaluate else None, eqn.outvars[0].aval)]
        elif kind.kind == "call" and (eqn.primitive.name in CALLS or _holds_site(eqn, flags)):
            body, body_consts = _call_body(eqn)
            outs, out_dep, out_zero = _walk(body, body_consts, invals or [None] * len(flags), flags, ctx, evaluate)
        else:
            if kind.kind in ("other", "opaque", "call"):
                _check_body(eqn, kind, flags, ctx)
            if evaluate:
                outs = _bind(eqn, invals)
            if eqn.primitive.name in ("broadcast_in_dim", "convert_element_type", "reshape", "squeeze",
                                      "expand_dims", "transpose", "copy") and is_zero(eqn.invars[0]):
                out_zero = [True]
            if eqn.primitive.name == "stop_gradient":
                out_dep = [False]
        for i, v in enumerate(eqn.outvars):
            if evaluate:
                env[v] = outs[i]
            if out_dep[i]:
                dep.add(v)
            if out_zero[i]:
                zero.add(v)
    outvars = jaxpr.outvars
    return ([read(v) for v in outvars] if evaluate else None, [carries(v) for v in outvars],
            [is_zero(v) for v in outvars])


def _holds_site(eqn, flags) -> bool:
    survey = _Survey()
    body, consts = _call_body(eqn)
    _walk(body, consts, [None] * len(flags), flags, survey, evaluate=False)
    return bool(survey.sites)


def _check_body(eqn, kind: _Kind, flags, ctx) -> None:
    """An equation bound unchanged: refuse it if it hides an activation, or a nonlinearity the rule
    does not define."""
    if kind.kind == "other":
        ctx.nonlinearity(kind.detail, eqn)
        return
    survey = _Survey()
    if kind.kind == "call":  # a custom call's body takes the equation's operands: their flags hold
        body, consts = _call_body(eqn)
        _walk(body, consts, [None] * len(flags), flags, survey, evaluate=False)
    for sub in jcore.jaxprs_in_params(eqn.params) if kind.kind == "opaque" else ():  # every operand may feed it
        _walk(sub, [None] * len(sub.constvars), [None] * len(sub.invars), [True] * len(sub.invars), survey,
              evaluate=False)
    if survey.sites and kind.kind == "opaque":
        raise ValueError(
            f"the function applies an activation ({survey.sites[0].activation}) inside '{eqn.primitive.name}' "
            f"{_describe(kind.detail, eqn)}: the rule cannot be placed inside control flow (lax.scan, "
            "lax.cond, lax.while_loop, flax nn.scan); unroll the loop.")
    if survey.other:
        label = kind.detail if kind.kind == "call" else f"{eqn.primitive.name}: {survey.other}"
        ctx.nonlinearity(label, eqn)


def _bind(eqn, invals):
    params = eqn.primitive.get_bind_params(eqn.params)
    with eqn.ctx.manager:
        out = eqn.primitive.bind(*invals, **params)
    return list(out) if eqn.primitive.multiple_results else [out]


# ------------------------------------------------------------------ public entry points
def _argnums(argnums, n_args: int) -> tuple:
    nums = (argnums,) if isinstance(argnums, (int, np.integer)) else tuple(argnums)
    if not nums or any(not isinstance(a, (int, np.integer)) or not -n_args <= a < n_args for a in nums):
        raise ValueError(f"argnums must be an int or ints in 0..{n_args - 1} (the function got {n_args} "
                         f"arguments), got {argnums!r}.")
    return tuple(int(a) % n_args for a in nums)


def _trace(fn, argnums, args):
    closed, out_shape = jax.make_jaxpr(fn, return_shape=True)(*args)
    nums = _argnums(argnums, len(args))
    dep = [i in nums for i, a in enumerate(args) for _ in jax.tree.leaves(a)]
    return closed, out_shape, dep


def activation_sites(fn: Callable, *args, argnums=0) -> tuple:
    """The activations the rule will act at in ``fn(*args)``, in forward order.

    Args:
      fn: any JAX function.
      *args: example arguments (arrays or ``jax.ShapeDtypeStruct``).
      argnums: the argument(s) whose signal paths the rule governs (the input of a flow).
    Returns:
      A tuple of :class:`Site` (activation name, output shape, dtype).

    >>> import jax.numpy as jnp
    >>> [(s.activation, s.shape) for s in activation_sites(lambda x: jnp.tanh(jax.nn.relu(x) * 2), jnp.ones(3))]
    [('relu', (3,)), ('tanh', (3,))]
    """
    closed, _, dep = _trace(fn, argnums, args)
    survey = _Survey()
    _walk(closed.jaxpr, closed.consts, [None] * len(dep), dep, survey, evaluate=False)
    return tuple(survey.sites)


def with_rule(fn: Callable, rule: str | Rule = "gradient", *, argnums=0, taps: bool = False) -> Callable:
    """``fn`` with the same values, whose VJP applies ``rule`` at every activation.

    Args:
      fn: any JAX function (a flax ``apply``, a ``jaxprobe.Network.apply``, plain jnp code).
      rule: a name of ``jaxprobe.rules.RULES`` or a rule function ``(g, z, activation) -> signal``.
      argnums: the argument(s) whose signal paths the rule governs: activations and nonlinearities
        that touch only the other arguments (the parameters) are left alone.
      taps: if True, the returned function takes ``(taps, *args)``: ``taps`` is None or one pair
        ``(at_input, at_output)`` per :func:`activation_sites` entry, added to the activation's input
        and output (pass zeros: the values stay, and their cotangents are the signals there).
    Returns:
      The ruled function, jit-able and vmap-able; differentiate it with ``jax.vjp`` or ``jax.grad``.
    Raises:
      ValueError: (when called) a nonlinearity the rule does not define (named, with its source line),
        an activation inside control flow, bad ``argnums``.
    """
    rule = get_rule(rule)

    def ruled(*args):
        tap_values, args = (args[0], args[1:]) if taps else (None, args)
        closed, out_shape, dep = _trace(fn, argnums, args)
        ctx = _Ruling(rule, tap_values)
        outs, _, _ = _walk(closed.jaxpr, closed.consts, jax.tree.leaves(args), dep, ctx, evaluate=True)
        if tap_values is not None and len(tap_values) != len(ctx.sites):
            raise ValueError(f"taps holds {len(tap_values)} pairs, the function has {len(ctx.sites)} "
                             "activation sites (see activation_sites).")
        return jax.tree.unflatten(jax.tree.structure(out_shape), outs)

    return functools.wraps(fn)(ruled) if hasattr(fn, "__name__") else ruled
