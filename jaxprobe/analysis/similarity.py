"""Per-example similarity of two sets of vectors (rows): cosine, Pearson, mass on a support.

Used by seed 000 (cos(z_l, −õ_l), §3.1; correlation of a reconstruction with its own digit, Fig. 7)
and by any study comparing signals example by example.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def rowwise_cosine(a: Any, b: Any) -> np.ndarray:
    """cos(a_i, b_i) for each row i (rows flattened); 0 where either row is all zero."""
    a = np.asarray(a, np.float64).reshape(len(a), -1)
    b = np.asarray(b, np.float64).reshape(len(b), -1)
    if a.shape != b.shape:
        raise ValueError(f"b: shape {b.shape} does not match a's {a.shape}")
    num = np.sum(a * b, axis=1)
    den = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def rowwise_pearson(a: Any, b: Any) -> np.ndarray:
    """Pearson correlation of a_i with b_i over their entries, for each row i.

    NaN where a row is constant (zero variance), so callers can count and drop those.
    """
    a = np.asarray(a, np.float64).reshape(len(a), -1)
    b = np.asarray(b, np.float64).reshape(len(b), -1)
    if a.shape != b.shape:
        raise ValueError(f"b: shape {b.shape} does not match a's {a.shape}")
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    den = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    out = np.full(len(a), np.nan)
    ok = den > 0
    out[ok] = np.sum(a[ok] * b[ok], axis=1) / den[ok]
    return out


def positive_mass_on_ink(maps: Any, digits: Any, threshold: float = 0.5) -> np.ndarray:
    """Per example, the share of a map's positive mass that falls on ink pixels (digit > ``threshold``).

    Compare it with the ink's share of the image area (``np.mean(digits > threshold, axis=1)``):
    a map that highlights the strokes puts far more of its mass on ink than the area share.
    NaN where a map has no positive entry.
    """
    m = np.clip(np.asarray(maps, np.float64).reshape(len(maps), -1), 0, None)
    ink = np.asarray(digits).reshape(len(digits), -1) > threshold
    if m.shape != ink.shape:
        raise ValueError(f"digits: shape {ink.shape} does not match maps' {m.shape}")
    total = m.sum(axis=1)
    out = np.full(len(m), np.nan)
    ok = total > 0
    out[ok] = (m * ink).sum(axis=1)[ok] / total[ok]
    return out
