"""How well a set of class features (one input-space image per class) shows its classes.

Arrays in, numbers out; used by seed 003 (the "explainability" of features, §2–3) and by any
comparison of class-level input syntheses. Features and digits are flattened per row.

* :func:`class_contrast` — the explainability number: the cosine between each class's feature and
  what distinguishes its class in the data (its class mean minus the mean of the class means),
  minus the mean cosine to the other classes' distinguishing patterns.
* :func:`template_identification`, :func:`judge_identification` — the share of features that a
  reader who knows only the data assigns to their own class (nearest centred class mean; a ridge
  linear classifier fitted to the digits, :func:`linear_judge`).
* :func:`cosine_matrix`, :func:`mutual_cosine` — seed 003's measurement (§2, Fig. 2): cosine
  similarity between features, and its mean over the pairs of different classes.
* :func:`shared_fraction` — how much of the features' energy is one pattern common to every class.
* :func:`rise_and_fall` — peak, rise, drop and transition point of a measure along training.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

__all__ = ["class_means", "centred_class_means", "cosine_matrix", "class_contrast", "template_identification",
           "linear_judge", "judge_identification", "mutual_cosine", "shared_fraction", "Trajectory", "rise_and_fall"]


def _rows(a: Any, name: str) -> np.ndarray:
    a = np.asarray(a, np.float64)
    if a.ndim < 2:
        raise ValueError(f"{name} must hold one row per class or example, got shape {a.shape}.")
    return a.reshape(len(a), -1)


def class_means(x: Any, y: Any, n_classes: int) -> np.ndarray:
    """The mean example of every class 0..n_classes−1: shape (n_classes, features).

    Raises:
      ValueError: a class without examples, or labels that do not match x.

    >>> class_means([[0., 2.], [2., 2.], [4., 0.]], [0, 0, 1], 2).tolist()
    [[1.0, 2.0], [4.0, 0.0]]
    """
    x, y = _rows(x, "x"), np.asarray(y)
    if y.shape != (len(x),):
        raise ValueError(f"y must hold one label per row of x, shape ({len(x)},); got {y.shape}.")
    counts = np.bincount(y, minlength=n_classes)[:n_classes]
    if np.any(counts == 0):
        raise ValueError(f"classes {np.flatnonzero(counts == 0).tolist()} have no examples in y.")
    return np.stack([x[y == c].mean(axis=0) for c in range(n_classes)])


def centred_class_means(x: Any, y: Any, n_classes: int) -> np.ndarray:
    """Class means minus their average: what distinguishes each class, shape (n_classes, features).

    >>> centred_class_means([[0., 2.], [4., 0.]], [0, 1], 2).tolist()
    [[-2.0, 1.0], [2.0, -1.0]]
    """
    means = class_means(x, y, n_classes)
    return means - means.mean(axis=0)


def cosine_matrix(a: Any, b: Any = None) -> np.ndarray:
    """cos(a_i, b_j) for every pair of rows (b defaults to a); 0 where a row is all zero.

    >>> cosine_matrix([[1., 0.], [1., 1.]]).round(3).tolist()
    [[1.0, 0.707], [0.707, 1.0]]
    """
    a = _rows(a, "a")
    b = a if b is None else _rows(b, "b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"b has {b.shape[1]} features per row, a has {a.shape[1]}.")
    na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
    na, nb = np.where(na > 0, na, 1.0), np.where(nb > 0, nb, 1.0)
    return (a / na[:, None]) @ (b / nb[:, None]).T


def class_contrast(features: Any, patterns: Any) -> float:
    """The explainability E of class features (seed 003 §2–3, measured as issue 13 proposes).

    E = mean_c [cos(f_c, p_c) − mean_{c′≠c} cos(f_c, p_{c′})], with p_c the distinguishing
    pattern of class c (:func:`centred_class_means` of the training digits). E ≈ 0 for features
    unrelated to the classes, and large when each feature looks like its own class and unlike the
    others; a pattern shared by every feature adds nothing.

    Args:
      features: (n_classes, ...) one feature per class, in class order.
      patterns: (n_classes, ...) the classes' patterns, same order.

    Returns:
      E, a float in [−2, 2].

    >>> class_contrast([[1., 0.], [0., 1.]], [[1., 0.], [0., 1.]])
    1.0
    """
    c = cosine_matrix(features, patterns)
    if c.shape[0] != c.shape[1]:
        raise ValueError(f"features ({c.shape[0]} rows) and patterns ({c.shape[1]} rows) must list the same classes.")
    k = len(c)
    own = np.diag(c)
    others = (c.sum(axis=1) - own) / (k - 1)
    return float(np.mean(own - others))


def template_identification(features: Any, patterns: Any) -> float:
    """Share of features whose most similar (cosine) class pattern is their own class's.

    >>> template_identification([[1., 0.], [1., 0.1]], [[1., 0.], [0., 1.]])
    0.5
    """
    c = cosine_matrix(features, patterns)
    return float(np.mean(np.argmax(c, axis=1) == np.arange(len(c))))


def linear_judge(x: Any, y: Any, n_classes: int, ridge: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """A reader of the data alone: ridge least squares from centred examples to one-hot labels.

    W = (XᵀX + ridge·N·I)⁻¹ Xᵀ Y on X = x − mean(x). It has no bias, so its decision
    argmax_c (v − m)ᵀ W_c does not change when v − m is scaled by a positive number.

    Args:
      x: training examples (N, ...); y: their labels (N,).
      n_classes: number of classes.
      ridge: the penalty per example.

    Returns:
      ``(weights, centre)``: (features, n_classes) and the mean example m.
    """
    x, y = _rows(x, "x"), np.asarray(y)
    if y.shape != (len(x),):
        raise ValueError(f"y must hold one label per row of x, shape ({len(x)},); got {y.shape}.")
    if not ridge > 0:
        raise ValueError(f"ridge must be a positive number, got {ridge!r}.")
    centre = x.mean(axis=0)
    xc = x - centre
    gram = xc.T @ xc + ridge * len(x) * np.eye(x.shape[1])
    weights = np.linalg.solve(gram, xc.T @ np.eye(n_classes)[y])
    return weights, centre


def judge_identification(features: Any, weights: np.ndarray) -> float:
    """Share of features that the :func:`linear_judge` assigns to their own class.

    A feature is a direction from the zero input, so it is read as a deviation from the mean
    digit: the decision is argmax_c f ᵀ W_c (scale-free).

    >>> judge_identification([[2., 0.], [0., 1.]], np.eye(2))
    1.0
    """
    f = _rows(features, "features")
    if f.shape[1] != weights.shape[0]:
        raise ValueError(f"features have {f.shape[1]} entries per row, the judge expects {weights.shape[0]}.")
    return float(np.mean(np.argmax(f @ weights, axis=1) == np.arange(len(f))))


def mutual_cosine(features: Any) -> float:
    """Mean cosine between the features of different classes (seed 003 Fig. 2, off the diagonal).

    >>> mutual_cosine([[1., 0.], [1., 0.], [0., 1.]])
    0.3333333333333333
    """
    c = cosine_matrix(features)
    k = len(c)
    return float((c.sum() - np.trace(c)) / (k * (k - 1)))


def shared_fraction(features: Any) -> float:
    """‖f̄‖² / mean_c ‖f_c‖², with f̄ the mean feature: the share of the features' energy that is
    one pattern common to every class (0 when the features cancel on average, 1 when all are equal).

    >>> shared_fraction([[1., 1.], [1., -1.]]), shared_fraction([[2., 0.], [2., 0.]])
    (0.5, 1.0)
    """
    f = _rows(features, "features")
    energy = np.mean(np.sum(f * f, axis=1))
    return float(np.sum(f.mean(axis=0) ** 2) / energy) if energy > 0 else 0.0


class Trajectory(NamedTuple):
    """A measure along training: its start, peak, end, and where it turned.

    ``rise`` = peak − start, ``drop`` = peak − end; ``peak_index`` is the first maximum;
    ``half_drop_index`` the first point after the peak at or below (peak + end) / 2 (None when the
    measure does not fall).
    """

    start: float
    peak: float
    end: float
    rise: float
    drop: float
    peak_index: int
    half_drop_index: int | None


def rise_and_fall(values: Any) -> Trajectory:
    """Peak, rise and fall of a measure recorded at successive training points.

    >>> t = rise_and_fall([0.0, 0.6, 0.9, 0.5, 0.2])
    >>> round(t.rise, 3), round(t.drop, 3), t.peak_index, t.half_drop_index
    (0.9, 0.7, 2, 3)
    """
    v = np.asarray(values, np.float64).ravel()
    if v.size == 0 or not np.all(np.isfinite(v)):
        raise ValueError(f"values must be a non-empty sequence of finite numbers, got {v.tolist()}.")
    peak_index = int(np.argmax(v))
    peak, start, end = float(v[peak_index]), float(v[0]), float(v[-1])
    half = None
    if peak > end:
        after = np.flatnonzero(v[peak_index:] <= (peak + end) / 2)
        half = int(peak_index + after[0])
    return Trajectory(start, peak, end, peak - start, peak - end, peak_index, half)
