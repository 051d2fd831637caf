"""Pure functional networks as stacks of stages, with a forward trace for the backward flows.

A network is a sequence of L stages. Stage l (1-based) maps the previous activation o_{l-1}
(o_0 = x) to the pre-activation z_l and the activation o_l = σ(z_l):

    h = maxpool(o_{l-1})      (optional; non-overlapping windows: the sub-permutation P_l of seed 004 eq. 2)
    h = reshape(h)            (optional; add a channel axis, or flatten before a dense layer)
    z_l = A_l(h)              (flax ``nn.Dense`` or ``nn.Conv``: W_l h + b_l, seed 000 eq. 2)
    o_l = σ(z_l)

The part before σ is affine in o_{l-1} at a fixed input (the pooling switches are frozen), so the
backward flows only need ``jax.vjp`` of it. The last stage is linear: its z_L are the logits and
the softmax lives in the loss. Seed 002's "conv, maxpool, ReLU" is built as "conv, ReLU, maxpool"
(the pool opens the next stage): ReLU and max-pooling commute, so the function is the same.

Parameters are a plain tuple with one ``{'kernel', 'bias'}`` dict per stage. ``Network`` is a frozen,
hashable dataclass, so it can be a static argument of ``jax.jit``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple, Optional, Sequence, Union

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from jaxprobe import validation

Params = tuple  # one {'kernel', 'bias'} dict per stage

ACTIVATIONS = {
    "relu": jax.nn.relu,
    "sigmoid": jax.nn.sigmoid,
    "tanh": jnp.tanh,
    "linear": lambda z: z,
}


def activation_fn(name: str):
    validation.check_choice("activation", name, tuple(ACTIVATIONS))
    return ACTIVATIONS[name]


def activation_derivative(name: str, z: jax.Array) -> jax.Array:
    """σ'(z) elementwise (the b̃_l of seed 000 eq. 3); 1[z > 0] for ReLU."""
    return jax.jvp(activation_fn(name), (z,), (jnp.ones_like(z),))[1]


@dataclass(frozen=True)
class Stage:
    """One stage: [max-pool] → [reshape] → affine (dense or conv) → activation."""

    kind: str  # 'dense' | 'conv'
    features: int
    activation: str = "relu"
    kernel_size: tuple = ()  # conv only, e.g. (5,) or (5, 5)
    padding: str = "SAME"  # conv only
    pool: int = 1  # max-pool window (= stride) applied to the stage's input; 1 = none
    reshape: Optional[tuple] = None  # e.g. (-1,) to flatten, (100, 1) to add a channel axis

    def __post_init__(self):
        validation.check_choice("kind", self.kind, ("dense", "conv"))
        validation.check_choice("activation", self.activation, tuple(ACTIVATIONS))
        validation.check_int("features", self.features, minimum=1)
        validation.check_int("pool", self.pool, minimum=1)
        kernel_size = _int_tuple("kernel_size", self.kernel_size)
        if self.kind == "conv" and not kernel_size:
            raise ValueError("kernel_size must be given for a conv stage, e.g. kernel_size=(5,).")
        if self.kind == "dense" and kernel_size:
            raise ValueError(f"kernel_size={self.kernel_size!r} is only for conv stages; drop it for a dense stage.")
        for i, k in enumerate(kernel_size):
            validation.check_int(f"kernel_size[{i}]", k, minimum=1)
        validation.check_choice("padding", self.padding, ("SAME", "VALID"))
        object.__setattr__(self, "kernel_size", kernel_size)
        if self.reshape is not None:
            reshape = _int_tuple("reshape", self.reshape)
            if not reshape or any(d == 0 or d < -1 for d in reshape) or reshape.count(-1) > 1:
                raise ValueError(f"reshape={self.reshape!r} must be a shape of positive sizes with at most one -1, "
                                 f"e.g. (-1,) to flatten or (100, 1) to add a channel axis.")
            object.__setattr__(self, "reshape", reshape)

    def module(self) -> nn.Module:
        if self.kind == "dense":
            return nn.Dense(self.features)
        if len(self.kernel_size) == 1:
            return TapConv1D(self.features, self.kernel_size, padding=self.padding)
        return nn.Conv(self.features, self.kernel_size, padding=self.padding)


class TapConv1D(nn.Module):
    """A 1-D convolution (stride 1) computed as a sum over kernel taps of shifted slices times
    W[tap], with ``nn.Conv``'s parameters, initialisers and padding, so the two are
    interchangeable. XLA's CPU convolution is slow for the thesis's one-channel filters; this
    form fuses into a few elementwise ops (and matmuls when channels > 1), forward and transposed.
    """

    features: int
    kernel_size: tuple
    padding: str = "SAME"

    @nn.compact
    def __call__(self, h: jax.Array) -> jax.Array:  # h: (..., length, in_channels)
        (k,) = self.kernel_size
        kernel = self.param("kernel", nn.initializers.lecun_normal(), (k, h.shape[-1], self.features))
        bias = self.param("bias", nn.initializers.zeros_init(), (self.features,))
        length = h.shape[-2]
        if self.padding == "SAME":
            pad = [(0, 0)] * (h.ndim - 2) + [((k - 1) // 2, k // 2), (0, 0)]
            h = jnp.pad(h, pad)
        elif self.padding != "VALID":
            raise ValueError(f"padding={self.padding!r} is not supported for 1-D convs; use 'SAME' or 'VALID'.")
        out = h.shape[-2] - k + 1 if self.padding == "VALID" else length
        taps = [jax.lax.slice_in_dim(h, j, j + out, axis=-2) for j in range(k)]
        if h.shape[-1] == 1 and self.features == 1:
            z = sum(t * kernel[j, 0, 0] for j, t in enumerate(taps))
        else:
            z = sum(t @ kernel[j] for j, t in enumerate(taps))
        return z + bias


def _int_tuple(name: str, value) -> tuple:
    """A tuple of Python ints from a tuple or list of integers (a clear error for anything else)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list)):
        raise TypeError(f"{name} must be a tuple of integers, got {value!r} ({type(value).__name__}).")
    return tuple(validation.check_int(f"{name}[{i}]", v) for i, v in enumerate(value))


def max_pool(x: jax.Array, window: int) -> jax.Array:
    """Non-overlapping max-pooling of one example laid out as (*spatial, channels)."""
    dims = (window,) * (x.ndim - 1) + (1,)
    return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, dims, dims, "VALID")


class Trace(NamedTuple):
    """Everything the backward flows need from the forward pass at one input.

    Tuples over stages l = 1..L (index l-1): ``inputs`` o_{l-1}, ``pre`` z_l, ``post`` o_l,
    ``masks`` r_l = 1[z_l > 0] (seed 004 eq. 1), ``switches`` the 0/1 array at the pre-pool
    resolution marking the arg-max of each pooling window (Pᵀ1, seed 004 eq. 2), or None.
    """

    inputs: tuple
    pre: tuple
    post: tuple
    masks: tuple
    switches: tuple


@dataclass(frozen=True)
class Network:
    """A feed-forward network of ``stages`` on inputs of shape ``input_shape`` (one example)."""

    stages: tuple
    input_shape: tuple

    def __post_init__(self):
        if isinstance(self.stages, Stage) or not isinstance(self.stages, (tuple, list)) or not self.stages:
            raise ValueError("stages must be a non-empty tuple of Stage, e.g. (Stage('dense', 10, 'linear'),).")
        for i, stage in enumerate(self.stages):
            if not isinstance(stage, Stage):
                raise TypeError(f"stages[{i}] must be a Stage, got {type(stage).__name__}.")
        input_shape = _int_tuple("input_shape", self.input_shape)
        for i, d in enumerate(input_shape):
            validation.check_int(f"input_shape[{i}]", d, minimum=1)
        object.__setattr__(self, "stages", tuple(self.stages))
        object.__setattr__(self, "input_shape", input_shape)

    # ----------------------------------------------------------------- structure
    @property
    def n_layers(self) -> int:
        """L, the number of stages (affine maps)."""
        return len(self.stages)

    @property
    def n_classes(self) -> int:
        return self.stages[-1].features

    @cached_property
    def layer_shapes(self) -> tuple:
        """Shapes of z_1..z_L for one example."""
        trace = jax.eval_shape(self.trace_one, self.param_shapes, jnp.zeros(self.input_shape))
        return tuple(z.shape for z in trace.pre)

    @cached_property
    def param_shapes(self):
        self._check_stage_inputs()
        return jax.eval_shape(self.init, jax.random.key(0))

    def _check_stage_inputs(self) -> None:
        """Walks the stages on abstract shapes and says which stage cannot take its input."""
        h = jax.ShapeDtypeStruct(self.input_shape, jnp.float32)
        for layer, stage in enumerate(self.stages, start=1):
            where = f"stage {layer} ({stage.kind}, its input has shape {h.shape})"
            if stage.pool > 1:
                spatial = h.shape[:-1]
                if not spatial or min(spatial) < stage.pool:
                    raise ValueError(
                        f"{where}: its max-pool window {stage.pool} is larger than the spatial shape "
                        f"{spatial}; use a smaller pool (or pool less in earlier stages)."
                    )

            def out(hh, stage=stage):
                hh = self._pre_affine(stage, hh)
                variables = stage.module().init(jax.random.key(0), hh)
                return stage.module().apply(variables, hh)

            try:
                h = jax.eval_shape(out, h)
            except Exception as err:  # flax and lax raise several types for impossible shapes
                raise ValueError(f"{where} cannot be built ({type(err).__name__}: {err}); check its "
                                 f"kernel_size, padding and reshape against that input.") from err
            if 0 in h.shape:
                raise ValueError(f"{where} gives an empty output of shape {h.shape}: its kernel is larger than "
                                 f"its input; use a smaller kernel_size or padding='SAME'.")

    # ----------------------------------------------------------------- parameters
    def init(self, key: jax.Array) -> Params:
        """Initial parameters (flax's default initialisers: LeCun normal kernels, zero biases)."""
        if validation.is_concrete(key):
            validation.check_key("key", key)
            self.param_shapes  # a clear error for a network that cannot be built
        params, h = [], jnp.zeros(self.input_shape, jnp.float32)
        for stage, k in zip(self.stages, jax.random.split(key, self.n_layers)):
            h = self._pre_affine(stage, h)
            p = stage.module().init(k, h)["params"]
            params.append(dict(p))
            h = activation_fn(stage.activation)(stage.module().apply({"params": p}, h))
        return tuple(params)

    def init_stacked(self, keys: jax.Array) -> Params:
        """Parameters of K models stacked on a leading axis, one per key in ``keys`` (shape (K,)).

        Raises:
          ValueError: ``keys`` is one key, not K of them (use ``jax.random.split(key, K)``).
        """
        validation.check_key("keys", keys, batched=True)
        self.param_shapes  # a clear error for a network that cannot be built
        return jax.vmap(self.init)(keys)

    # ----------------------------------------------------------------- forward
    @staticmethod
    def _pre_affine(stage: Stage, h: jax.Array) -> jax.Array:
        if stage.pool > 1:
            h = max_pool(h, stage.pool)
        if stage.reshape is not None:
            h = h.reshape(stage.reshape)
        return h

    def stage_affine(self, params: Params, layer: int, o_prev: jax.Array) -> jax.Array:
        """z_l from o_{l-1} for one example (``layer`` = l, 1-based): pool, reshape, affine map."""
        stage = self.stages[layer - 1]
        h = self._pre_affine(stage, o_prev)
        return stage.module().apply({"params": params[layer - 1]}, h)

    def trace_one(self, params: Params, x: jax.Array) -> Trace:
        inputs, pre, post, masks, switches = [], [], [], [], []
        o = x
        for layer, stage in enumerate(self.stages, start=1):
            inputs.append(o)
            if stage.pool > 1:
                _, unpool = jax.vjp(lambda h: max_pool(h, stage.pool), o)
                (switch,) = unpool(jnp.ones_like(max_pool(o, stage.pool)))
                switches.append(switch)
            else:
                switches.append(None)
            z = self.stage_affine(params, layer, o)
            o = activation_fn(stage.activation)(z)
            pre.append(z)
            post.append(o)
            masks.append((z > 0).astype(z.dtype))
        return Trace(tuple(inputs), tuple(pre), tuple(post), tuple(masks), tuple(switches))

    def _apply_one(self, params: Params, x: jax.Array) -> jax.Array:
        o = x
        for layer, stage in enumerate(self.stages, start=1):
            o = activation_fn(stage.activation)(self.stage_affine(params, layer, o))
        return o

    def apply(self, params: Params, x: jax.Array) -> jax.Array:
        """Logits z_L for one example or a batch (leading axis N)."""
        self.check_params(params, finite=False)
        batched = validation.check_input("x", x, self.input_shape, traced=False)
        return (jax.vmap(self._apply_one, (None, 0)) if batched else self._apply_one)(params, x)

    def trace(self, params: Params, x: jax.Array) -> Trace:
        """The forward trace (see ``Trace``) for one example or a batch (leading axis N)."""
        self.check_params(params, finite=False)
        batched = validation.check_input("x", x, self.input_shape, traced=False)
        return (jax.vmap(self.trace_one, (None, 0)) if batched else self.trace_one)(params, x)

    def check_params(self, params: Params, *, stacked: bool = False, finite: bool = True,
                     name: str = "params") -> None:
        """Raises a clear error when ``params`` do not fit this network.

        Checks the structure (one ``{'kernel', 'bias'}`` dict per stage), every shape (after the
        leading model axis when ``stacked``), the dtype, and with ``finite`` that no value is NaN
        or infinite (a traced check under jit/vmap).
        """
        expected = self.param_shapes
        if not isinstance(params, (tuple, list)) or len(params) != self.n_layers:
            raise ValueError(
                f"{name} must be a tuple of {self.n_layers} per-stage dicts (from Network.init), "
                f"got {type(params).__name__}"
                + (f" of length {len(params)}" if isinstance(params, (tuple, list, dict)) else "")
                + "; pass the parameters this network's init returned."
            )
        lead = 1 if stacked else 0
        for layer, (p, e) in enumerate(zip(params, expected), start=1):
            if not hasattr(p, "keys") or not hasattr(p, "__getitem__"):
                raise ValueError(f"{name}[{layer - 1}] must be a dict with 'kernel' and 'bias' (stage {layer}), "
                                 f"got {type(p).__name__}; pass the parameters this network's init returned.")
            for leaf in ("kernel", "bias"):
                where = f"{name}[{layer - 1}]['{leaf}']"
                if leaf not in p:
                    raise ValueError(f"{where} is missing (stage {layer} has keys {sorted(p.keys())}); "
                                     f"pass the parameters this network's init returned.")
                value = p[leaf]
                validation.check_floating(where, value)
                got = tuple(np.shape(value))
                if stacked and not got:
                    raise ValueError(f"{where} has no leading model axis; stacked parameters come from "
                                     f"Network.init_stacked.")
                if got[lead:] != e[leaf].shape:
                    raise ValueError(
                        f"{where} has shape {got[lead:]}, expected {e[leaf].shape} "
                        f"for stage {layer} of this network (are these another network's parameters?)."
                    )
                if finite:
                    validation.check_finite(where, value)

    def check_layer(self, layer, name: str = "layer") -> int:
        """``layer`` must be a Python int in 1..L (a stage of this network); returns it."""
        if not validation.is_integer_value(layer):
            raise TypeError(f"{name} must be a Python int in 1..{self.n_layers}, got {layer!r}.")
        if not 1 <= int(layer) <= self.n_layers:
            raise ValueError(f"{name} must be in 1..{self.n_layers} (stages of this network), got {layer}.")
        return int(layer)


# --------------------------------------------------------------------- builders
ActivationSpec = Union[str, Sequence[str]]


def _per_layer(activation: ActivationSpec, n: int) -> list:
    if isinstance(activation, str):
        validation.check_choice("activation", activation, tuple(ACTIVATIONS))  # even when no layer uses it
        return [activation] * n
    if not isinstance(activation, (tuple, list)):
        raise TypeError(f"activation must be a name or a list of names, got {type(activation).__name__}.")
    activation = list(activation)
    if len(activation) != n:
        raise ValueError(f"activation lists {len(activation)} names, expected one per hidden layer ({n}).")
    return activation


def _sizes(name: str, values, *, allow_empty: bool = True) -> list:
    """A list of positive ints from a sequence (a string such as "784" is refused, not split)."""
    if isinstance(values, (str, bytes)) or not isinstance(values, (tuple, list, np.ndarray)):
        raise TypeError(f"{name} must be a list of positive integers, got {values!r} ({type(values).__name__}).")
    values = [validation.check_int(f"{name}[{i}]", v, minimum=1) for i, v in enumerate(list(values))]
    if not values and not allow_empty:
        raise ValueError(f"{name} must list at least one size.")
    return values


def mlp(widths: Sequence[int], activation: ActivationSpec = "relu") -> Network:
    """Dense network ``widths[0] → widths[1] → … → widths[-1]`` (logits).

    DNN-6 of seed 000 is ``mlp([784, 100, 100, 100, 100, 100, 10])``.
    """
    widths = _sizes("widths", widths)
    if len(widths) < 2:
        raise ValueError(f"widths must list the input size and at least one layer, got {widths}.")
    acts = _per_layer(activation, len(widths) - 2) + ["linear"]
    stages = [Stage("dense", w, a) for w, a in zip(widths[1:], acts)]
    return Network(tuple(stages), (widths[0],))


def cnn1d(
    length: int,
    kernel_sizes: Sequence[int],
    n_classes: int,
    channels: Union[int, Sequence[int]] = 1,
    conv_activation: ActivationSpec = "relu",
    hidden: Sequence[int] = (),
    hidden_activation: str = "relu",
) -> Network:
    """1-D CNN on signals of shape (length,): conv layers (same padding, stride 1, no pooling),
    flatten, dense ``hidden`` layers, then dense to ``n_classes`` logits (thesis §3.4)."""
    length = validation.check_int("length", length, minimum=1)
    kernel_sizes = _sizes("kernel_sizes", kernel_sizes)
    n_classes = validation.check_int("n_classes", n_classes, minimum=1)
    hidden = _sizes("hidden", hidden)
    if validation.is_integer_value(channels):
        chans = [validation.check_int("channels", channels, minimum=1)] * len(kernel_sizes)
    else:
        chans = _sizes("channels", channels)
        if len(chans) != len(kernel_sizes):
            raise ValueError(f"channels lists {len(chans)} sizes for {len(kernel_sizes)} kernels; give one per "
                             f"kernel, or one int for all.")
    acts = _per_layer(conv_activation, len(kernel_sizes))
    stages = []
    for i, (k, c, a) in enumerate(zip(kernel_sizes, chans, acts)):
        stages.append(Stage("conv", c, a, kernel_size=(int(k),), reshape=(length, 1) if i == 0 else None))
    flatten = (-1,)
    for j, width in enumerate(list(hidden) + [n_classes]):
        act = hidden_activation if j < len(hidden) else "linear"
        stages.append(Stage("dense", width, act, reshape=flatten if (j == 0 and stages) else None))
    return Network(tuple(stages), (length,))


def cnn2d(
    input_shape: Sequence[int],
    convs: Sequence[tuple],
    dense: Sequence[int],
    n_classes: int,
    activation: str = "relu",
    padding: str = "SAME",
) -> Network:
    """2-D CNN on images of shape (H, W) or (H, W, C).

    ``convs`` lists ``(features, kernel, pool_after)``: a k×k convolution, then (if pool_after > 1)
    a non-overlapping max-pool that opens the next stage. Then flatten, ``dense`` hidden layers and
    the ``n_classes`` logits.
    """
    input_shape = tuple(_sizes("input_shape", input_shape))
    if len(input_shape) not in (2, 3):
        raise ValueError(f"input_shape must be (H, W) or (H, W, C), got {input_shape}.")
    if isinstance(convs, (str, bytes)) or not isinstance(convs, (tuple, list)):
        raise TypeError(f"convs must be a list of (features, kernel, pool_after), got {type(convs).__name__}.")
    for i, conv in enumerate(convs):
        if not isinstance(conv, (tuple, list)) or len(conv) != 3:
            raise ValueError(f"convs[{i}] must be (features, kernel, pool_after), e.g. (10, 5, 2); got {conv!r}.")
        _sizes(f"convs[{i}]", conv)
    dense = _sizes("dense", dense)
    n_classes = validation.check_int("n_classes", n_classes, minimum=1)
    img_shape = input_shape if len(input_shape) == 3 else input_shape + (1,)
    stages, pool = [], 1
    for i, (features, kernel, pool_after) in enumerate(convs):
        stages.append(
            Stage("conv", features, activation, kernel_size=(kernel, kernel), padding=padding, pool=pool,
                  reshape=img_shape if i == 0 and len(input_shape) == 2 else None)
        )
        pool = pool_after
    for j, width in enumerate(list(dense) + [n_classes]):
        act = activation if j < len(dense) else "linear"
        stages.append(Stage("dense", width, act, pool=pool if j == 0 else 1, reshape=(-1,) if j == 0 else None))
    return Network(tuple(stages), input_shape)


def seed002_cnn() -> Network:
    """Seed 002's MNIST CNN: conv 1→10 5×5, maxpool, ReLU, conv 10→20 5×5, maxpool, ReLU, dense, softmax."""
    return cnn2d((28, 28), convs=[(10, 5, 2), (20, 5, 2)], dense=(), n_classes=10, padding="VALID")


def vgg_mnist(width: int = 16) -> Network:
    """A small VGG-style CNN for MNIST (seed 004 used VGG-16, which cannot be downloaded here):
    two blocks of two 3×3 convs and a 2×2 max-pool, then dense 128 and the 10 logits."""
    return cnn2d(
        (28, 28),
        convs=[(width, 3, 1), (width, 3, 2), (2 * width, 3, 1), (2 * width, 3, 2)],
        dense=(128,),
        n_classes=10,
    )


def glorot_init(network: "Network", key) -> tuple:
    """Keras's default initialisation: Glorot-uniform kernels, zero biases (thesis digest §8.4).

    Kernels are drawn from U(−a, a), a = √(6 / (fan_in + fan_out)); a 1-D conv kernel (k, in, out)
    has fan_in = k·in and fan_out = k·out.
    """
    if validation.is_concrete(key):
        validation.check_key("key", key)
    shapes = network.param_shapes
    params = []
    for p, k in zip(shapes, jax.random.split(key, len(shapes))):
        kshape = p["kernel"].shape
        if len(kshape) == 3:        # conv (k, in, out): fans include the receptive field
            fan_in, fan_out = kshape[0] * kshape[1], kshape[0] * kshape[2]
        else:
            fan_in, fan_out = kshape
        lim = np.sqrt(6.0 / (fan_in + fan_out))
        params.append({"kernel": jax.random.uniform(k, kshape, jnp.float32, -lim, lim),
                       "bias": jnp.zeros(p["bias"].shape, jnp.float32)})
    return tuple(params)


def glorot_init_stacked(network: "Network", keys) -> tuple:
    """:func:`glorot_init` for K models stacked on a leading axis, one per key in ``keys``."""
    validation.check_key("keys", keys, batched=True)
    return jax.vmap(lambda k: glorot_init(network, k))(keys)

