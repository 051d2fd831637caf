"""The thesis's trial grids (seed 001 §4.3.4, Figs 4.14 and 4.15) and the sweeps that fill them.

The trial engine (``jaxprobe.moore_penrose``) estimates one (n, p, variant, r) cell or a list of
cells; this module knows which cells the thesis drew: p = 2:2:10 with n = 2p, …, 5p (Fig. 4.14),
p = 2 with n = 5..8 and minimum mutual distances r = 0, 0.1, 0.2 (Fig. 4.15), and the two cells
whose probabilities the text quotes (p = 2, n = 10 and p = 10, n = 50). It also checks the
engine's float32 decisions against the float64 ``pinv`` reference on the study's cell sizes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, NamedTuple, Optional, Sequence, Union

import numpy as np

from jaxprobe import moore_penrose as mp
from jaxprobe.moore_penrose import CellEstimate

__all__ = [
    "METHOD",
    "FIG414_PS",
    "FIG415_NS",
    "FIG415_RS",
    "THESIS_CELLS",
    "TrialBudget",
    "Curve",
    "n_grid",
    "fig414_cells",
    "fig414_sweep",
    "fig415_sweep",
    "resolve_thesis_cells",
    "find_cell",
    "curve",
    "CELL_HEADER",
    "cell_row",
    "kernel_disagreements",
    "correct_columns",
]

#: The trials' method in the report's words.
METHOD = ("Trials of §4.3.4: n points uniform on [0,1]^p, the Moore–Penrose map, success iff the hard-max of "
          "every image is its own unit vector (ties fail). Two readings: **centred** (§4.3.2, A(x) = F⁺(x − m); "
          "its decisions are identical to the least-squares affine map (W b) = V(VᵀV)⁻¹ of §4.3.3, whose images "
          "V(VᵀV)⁻¹Vᵀ differ from the centred ones by 1/n in every entry) and **plain linear** (L = F⁺ of the raw "
          "points). Each cell's trial count comes from an independent pilot (discarded), so the Clopper–Pearson "
          "95 % intervals are exact.")
#: Bottleneck widths of Fig. 4.14 (p = 2:2:10).
FIG414_PS = (2, 4, 6, 8, 10)
#: Output sizes of Fig. 4.15 (p = 2).
FIG415_NS = (5, 6, 7, 8)
#: Minimum mutual distances of Fig. 4.15's three sampling schemes (0 = plain uniform).
FIG415_RS = (0.0, 0.1, 0.2)
#: The two (n, p) cells whose probabilities §4.3.4 quotes.
THESIS_CELLS = ((10, 2), (50, 10))


@dataclass(frozen=True)
class TrialBudget:
    """How many trials a sweep may spend per cell (``jaxprobe.moore_penrose.estimate_adaptive``).

    Args:
      target_successes: successes aimed at; the trial count is ``target / p̂_pilot``.
      pilot_trials: trials of the independent (discarded) pilot run.
      min_trials: the fewest trials of any cell.
      max_trials: the most trials of a cell: one int, or a mapping p → int.
    """

    target_successes: int
    pilot_trials: int
    min_trials: int
    max_trials: Union[int, Mapping[int, int]]

    def max_for(self, p: int) -> int:
        """The cap on trials for bottleneck width ``p``."""
        return self.max_trials[p] if isinstance(self.max_trials, Mapping) else self.max_trials


class Curve(NamedTuple):
    """One (p, variant, r) curve of a sweep, ordered by n: arrays of equal length."""

    n: np.ndarray
    prob: np.ndarray
    low: np.ndarray
    high: np.ndarray
    beyond_floor: np.ndarray


def n_grid(p: int, dense: bool = True) -> list[int]:
    """Output sizes of one Fig. 4.14 curve: every n = 2p, …, 5p, or (``dense=False``) the
    half-p steps n = 2p, 2.5p, …, 5p (rounded), which keep the wide bottlenecks affordable.

    >>> n_grid(2), n_grid(4, dense=False)
    ([4, 5, 6, 7, 8, 9, 10], [8, 10, 12, 14, 16, 18, 20])
    """
    if dense:
        return list(range(2 * p, 5 * p + 1))
    return sorted({int(round(p * k / 2)) for k in range(4, 11)})


def fig414_cells(ps: Sequence[int] = FIG414_PS, *, dense_ps: Optional[Sequence[int]] = None
                 ) -> list[tuple[int, int]]:
    """The (n, p) cells of Fig. 4.14: every n for the widths in ``dense_ps`` (default: all),
    half-p steps for the others.

    >>> fig414_cells((2, 4), dense_ps=(2,))[-3:]
    [(16, 4), (18, 4), (20, 4)]
    """
    dense = set(ps if dense_ps is None else dense_ps)
    return [(n, p) for p in ps for n in n_grid(p, p in dense)]


def fig414_sweep(ps: Sequence[int], budget: TrialBudget, *, dense_ps: Optional[Sequence[int]] = None,
                 seed: int = 0, pad_to_widest: bool = False,
                 progress: Optional[Callable[[CellEstimate], None]] = None) -> list[CellEstimate]:
    """Fig. 4.14: both readings of §4.3.4 (centred and plain linear) on :func:`fig414_cells`.

    Args:
      ps: bottleneck widths.
      budget: trials per cell.
      dense_ps: widths swept at every n (default: all).
      seed: the trials' random stream.
      pad_to_widest: compile one kernel per p, padded to n = 5p (fewer compilations, same results).
      progress: called with each finished cell.

    Returns:
      One ``CellEstimate`` per cell and variant, ordered by (p, n).
    """
    pad = (lambda n, p: mp.bucket(5 * p)) if pad_to_widest else None
    return mp.sweep(fig414_cells(ps, dense_ps=dense_ps), variants=("centred", "linear"), seed=seed,
                    target_successes=budget.target_successes, pilot_trials=budget.pilot_trials,
                    min_trials=budget.min_trials,
                    max_trials=budget.max_trials if isinstance(budget.max_trials, int) else dict(budget.max_trials),
                    pad=pad, progress=progress)


def fig415_sweep(budget: TrialBudget, *, seed: int = 0, pad_to_widest: bool = False,
                 progress: Optional[Callable[[CellEstimate], None]] = None) -> list[CellEstimate]:
    """Fig. 4.15: p = 2, n = 5..8, centred, for each minimum mutual distance r of
    :data:`FIG415_RS` (exact whole-set rejection). Arguments as :func:`fig414_sweep`.

    Returns:
      One ``CellEstimate`` per (r, n), ordered by r then n.
    """
    pad = (lambda n, p: max(FIG415_NS)) if pad_to_widest else None
    out = []
    for r in FIG415_RS:
        out += mp.sweep([(n, 2) for n in FIG415_NS], variants=("centred",), r=r, seed=seed,
                        target_successes=budget.target_successes, pilot_trials=budget.pilot_trials,
                        min_trials=budget.min_trials, max_trials=budget.max_for(2), pad=pad,
                        progress=progress)
    return out


def resolve_thesis_cells(estimates: Sequence[CellEstimate], budget: TrialBudget, *, seed: int = 0
                         ) -> list[CellEstimate]:
    """The sweep's estimates with the thesis's two cells (:data:`THESIS_CELLS`) estimated in full
    (``budget.max_for(p)`` trials) where the sweep's floor rule cut them short.

    Returns:
      A new list, in the same order.
    """
    out = list(estimates)
    for i, e in enumerate(out):
        if e.beyond_floor and (e.n, e.p) in THESIS_CELLS:
            out[i] = mp.estimate(e.n, e.p, budget.max_for(e.p), variant=e.variant, seed=seed,
                                 pad_to=mp.bucket(e.n))
    return out


def find_cell(estimates: Sequence[CellEstimate], n: int, p: int, variant: str, r: float = 0.0
              ) -> Optional[CellEstimate]:
    """The estimate of one cell, or None when the sweep did not run it."""
    for e in estimates:
        if e.n == n and e.p == p and e.variant == variant and e.r == r:
            return e
    return None


def curve(estimates: Sequence[CellEstimate], p: int, variant: str, r: float = 0.0) -> Curve:
    """The cells of one (p, variant, r) curve as arrays ordered by n (empty if none ran)."""
    rows = sorted((e for e in estimates if e.p == p and e.variant == variant and e.r == r),
                  key=lambda e: e.n)
    return Curve(n=np.array([e.n for e in rows], int), prob=np.array([e.prob for e in rows], float),
                 low=np.array([e.ci[0] for e in rows], float), high=np.array([e.ci[1] for e in rows], float),
                 beyond_floor=np.array([e.beyond_floor for e in rows], bool))


#: Columns of :func:`cell_row`.
CELL_HEADER = ("p", "n", "variant", "r", "P", "95 % CI", "trials", "successes", "acceptance", "beyond 1e-6 floor")


def cell_row(e: CellEstimate) -> list:
    """One estimate as a report-table row (columns :data:`CELL_HEADER`)."""
    lo, hi = e.ci
    return [e.p, e.n, e.variant, e.r, f"{e.prob:.3e}", f"[{lo:.2e}, {hi:.2e}]", f"{e.trials:,}", e.successes,
            f"{e.acceptance:.4f}", "yes" if e.beyond_floor else ""]


def kernel_disagreements(seed: int, trials: int,
                         cells: Sequence[tuple[int, int]] = ((4, 2), (10, 2), (20, 4), (50, 10))) -> tuple[int, int]:
    """How often the float32 trial kernel's decision differs from the float64 ``pinv`` reference
    (``jaxprobe.moore_penrose.reference_success``) on ``trials`` uniform point sets per (n, p) cell
    and reading.

    Returns:
      (disagreements, trials compared).

    >>> kernel_disagreements(0, 5, cells=((4, 2),))
    (0, 10)
    """
    rng = np.random.default_rng(seed)
    wrong = total = 0
    for n, p in cells:
        pts = rng.random((trials, n, p))
        for v in ("centred", "linear"):
            ref = np.array([mp.reference_success(x, v) for x in pts])
            got = np.asarray(mp.success_batch(pts.astype(np.float32), v))
            wrong += int((ref != got).sum())
            total += len(ref)
    return wrong, total


def correct_columns(points, variant: str = "centred") -> int:
    """How many of the n points the Moore–Penrose map sends to their own class: columns k of the
    image matrix (``jaxprobe.moore_penrose.image_matrix``) whose largest entry is the k-th, strictly.
    A trial succeeds iff all n are correct.

    >>> correct_columns(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))
    3
    """
    P = mp.image_matrix(points, variant)
    off = P - np.diag(np.full(len(P), np.inf))
    return int(np.sum(np.diag(P) > off.max(axis=0)))
