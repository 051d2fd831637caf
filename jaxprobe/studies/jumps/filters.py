"""Shape tests that turn the thesis's words about filters and weight columns into numbers.

A smoothed first-derivative template (Fig. 3.15/3.16d) and the best correlation of a weight column
with it (§3.3.3), the sign structure of a conv filter (§3.4: "smoothing" filters are one-signed,
"derivative" filters are of mixed sign), the sharpest local extremum of a signal (§3.4.1: the conv
output "peaks at the jump").
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def derivative_template(n: int, center: int, tau: float) -> np.ndarray:
    """Gaussian-smoothed first-derivative filter as a weight column (Fig. 3.15/3.16d).

    The logit of class "jump at 0-based index ``center``" of a 1-layer network is Σ_i w_i x_i; a
    smoothed derivative at the jump is ``w_i ∝ g'(i − (center − ½))``, i.e. a negative lobe
    before the jump and a positive one after it, antisymmetric about ``center − ½``.

    Args:
      n: length of the column.
      center: 0-based index of the first high sample.
      tau: width (std) of the Gaussian.

    Returns:
      A unit-L2-norm array of length ``n``.

    >>> t = derivative_template(10, 5, 1.0)
    >>> bool(t[6] > 0 > t[3]), round(float(np.linalg.norm(t)), 6)
    (True, 1.0)
    """
    u = np.arange(n) - (center - 0.5)
    w = u * np.exp(-0.5 * (u / tau) ** 2)
    return w / np.linalg.norm(w)


def best_template_correlation(column, center: int,
                              taus: Sequence[float] = tuple(np.arange(0.5, 8.01, 0.25)),
                              shifts: Sequence[int] = (-1, 0, 1)):
    """Max Pearson correlation of ``column`` with :func:`derivative_template`.

    Args:
      column: a weight column (any shape; flattened).
      center: 0-based index of the first high sample of the column's class.
      taus: template widths searched.
      shifts: shifts of the centre searched.

    Returns:
      ``(corr, tau, shift)`` of the best template.
    """
    column = np.asarray(column, np.float64).ravel()
    best = (-np.inf, float("nan"), 0)
    for tau in taus:
        for shift in shifts:
            r = np.corrcoef(column, derivative_template(column.size, center + shift, tau))[0, 1]
            if r > best[0]:
                best = (float(r), float(tau), int(shift))
    return best


def sign_summary(filt) -> dict[str, float]:
    """Sign structure of a (conv) filter: fractions of positive/negative taps by mass.

    Args:
      filt: the filter taps (any shape; flattened).

    Returns:
      ``{'pos_mass', 'neg_mass', 'minority_mass', 'one_signed', 'n_pos', 'n_neg'}``;
      ``one_signed`` is True when the minority sign carries < 10 % of the total |weight|.

    >>> sign_summary([1, 2, 3, 0.05])["one_signed"], sign_summary([1, -1])["one_signed"]
    (True, False)
    """
    w = np.asarray(filt, np.float64).ravel()
    pos, neg = w[w > 0].sum(), -w[w < 0].sum()
    tot = pos + neg if pos + neg > 0 else 1.0
    minority = min(pos, neg) / tot
    return {"pos_mass": float(pos / tot), "neg_mass": float(neg / tot),
            "minority_mass": float(minority), "one_signed": bool(minority < 0.10),
            "n_pos": int((w > 0).sum()), "n_neg": int((w < 0).sum())}


def sharpest_extremum(signal, first: int = 21, last: int = 80, half_width: int = 3) -> int:
    """1-based position of the sharpest local extremum of a 100-sample signal within first..last.

    The measure is ``|o_i − (o_{i−h} + o_{i+h})/2|`` (h = ``half_width``): a spike scores its full
    height, a plain step half of it; the ends (zero-padding artefacts) are left out.

    Args:
      signal: the signal, 1-D.
      first, last: 1-based positions searched.
      half_width: h.

    Returns:
      The 1-based position.

    >>> s = np.zeros(100); s[49] = 1.0
    >>> sharpest_extremum(s)
    50
    """
    o = np.asarray(signal, np.float64)
    lo, hi = first - 1, last
    dev = np.abs(o[lo:hi] - 0.5 * (o[lo - half_width:hi - half_width] + o[lo + half_width:hi + half_width]))
    return int(np.argmax(dev)) + first


def band_share(rows: int, cols: int, band: int, offset: int = 0) -> float:
    """Share of the cells of a ``rows × cols`` matrix within ``band`` of the diagonal ``row = col + offset``.

    What :func:`jaxprobe.analysis.activations.diagonality` gives for a matrix of equal |entries|:
    the level a diagonal share must clearly exceed.

    >>> round(band_share(60, 60, 3), 4)
    0.1133
    """
    r, c = np.indices((rows, cols))
    return float(np.mean(np.abs(r - (c + offset)) <= band))
