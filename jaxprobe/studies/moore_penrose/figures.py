"""The figures of the Moore–Penrose study: Figs 4.14 and 4.15, and the two past the thesis.

Each function returns a matplotlib figure; the captions are kept beside them.
"""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np

from jaxprobe.analysis.stats import clopper_pearson
from jaxprobe.moore_penrose import CellEstimate
from jaxprobe.studies.moore_penrose.trials import FIG415_NS, FIG415_RS, curve

__all__ = ["fig_414", "fig_415", "fig_codes", "fig_init",
           "FIG414_CAPTION", "FIG415_CAPTION", "CODES_CAPTION", "INIT_CAPTION"]

COLORS = {2: "tab:blue", 4: "tab:orange", 6: "tab:green", 8: "tab:red", 10: "tab:purple"}

FIG414_CAPTION = ("Fig. 4.14: probability and log10-probability of successful embedding against n/p with exact "
                  "95 % bands; solid = centred (§4.3.2/§4.3.3), dashed = plain linear. Triangles: upper bounds "
                  "of cells with no success. Dotted: 1e-6.")
FIG415_CAPTION = ("Fig. 4.15: p = 2, n = 5..8, uniform vs minimum mutual distance r = 0.1, 0.2 (exact whole-set "
                  "rejection; acceptance rates in the legend).")
INIT_CAPTION = ("(b) Validation loss and accuracy (mean ± sd over seeds) of 100-p-60 networks by output-layer "
                "initialisation: standard (LeCun normal, zero bias), zero, the least-squares Moore–Penrose map of "
                "the initial hidden codes (MP), and the MP layer rescaled to the standard layer's initial "
                "training loss; same first layers, keys and batches. Step 0 = before training; dotted: the "
                "target accuracy of the training-speed claim.")
CODES_CAPTION = ("(a) Success probability of the Moore–Penrose construction on random n-subsets of a trained "
                 "100-p-60 network's hidden codes of the noise-free jumps u_k (red/orange, pooled over seeds), of "
                 "the same networks untrained (light, the negative control), against uniform random points "
                 "(grey, Fig. 4.14).")
INIT_STYLE = {"standard": ("tab:blue", "standard (LeCun normal, zero bias)"), "zero": ("tab:green", "zero"),
              "mp": ("tab:red", "Moore–Penrose (MP)"),
              "mp_matched_standard": ("tab:purple", "MP rescaled to the standard loss")}

def fig_414(estimates: Sequence[CellEstimate], ps: Sequence[int]):
    """Fig. 4.14: P and log10 P against n/p, one curve per (p, reading), exact 95 % bands."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6))
    for p in ps:
        for variant, ls, mk in (("centred", "-", "o"), ("linear", "--", "x")):
            n, P, lo, hi, beyond = curve(estimates, p, variant)
            if not len(n):
                continue
            ratio = n / p
            c = COLORS.get(p, None)
            lab = f"p = {p}" + ("" if variant == "centred" else " (plain linear)")
            axes[0].plot(ratio, P, ls, marker=mk, ms=3, color=c, label=lab)
            axes[0].fill_between(ratio, lo, hi, color=c, alpha=0.2)
            ok = P > 0
            axes[1].plot(ratio[ok], np.log10(P[ok]), ls, marker=mk, ms=3, color=c, label=lab)
            if ok.any():  # band only where successes were seen (lower bound > 0)
                axes[1].fill_between(ratio[ok], np.log10(lo[ok]), np.log10(hi[ok]), color=c, alpha=0.15)
            z = (~ok) & ~beyond
            if z.any():  # zero successes: the upper bound only
                axes[1].plot(ratio[z], np.log10(hi[z]), "v", color=c, ms=5)
    axes[0].set(xlabel="n / p", ylabel="P(successful embedding)", title="(a) probability of successful embedding")
    axes[1].set(xlabel="n / p", ylabel="log10 P(successful embedding)",
                title="(b) log-prob of successful embedding", ylim=(-8, 0.1))
    axes[1].axhline(-6, color="grey", lw=0.6, ls=":")
    axes[0].legend(fontsize=7, ncol=2)
    fig.suptitle("Fig. 4.14: Moore–Penrose embedding of n uniform points of [0,1]^p "
                 "(solid: centred §4.3.2 = least squares §4.3.3; dashed: plain linear F⁺)", fontsize=9)
    fig.tight_layout()
    return fig


def fig_415(estimates: Sequence[CellEstimate]):
    """Fig. 4.15: p = 2, P and log10 P against n for each minimum distance r."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for r, c in zip(FIG415_RS, ("tab:blue", "tab:red", "m")):
        n, P, lo, hi, _ = curve(estimates, 2, "centred", r)
        acc = [e.acceptance for e in estimates if e.r == r]
        lab = "uniform" if r == 0 else f"min. distance r = {r} (acceptance {min(acc):.3f}–{max(acc):.3f})"
        axes[0].plot(n, P, "-o", color=c, label=lab)
        axes[0].fill_between(n, lo, hi, color=c, alpha=0.25)
        axes[1].plot(n, np.log10(P), "-o", color=c, label=lab)
        axes[1].fill_between(n, np.log10(np.maximum(lo, 1e-12)), np.log10(hi), color=c, alpha=0.25)
    axes[0].set(xlabel="n", ylabel="P(successful embedding)", title="probability (p = 2)")
    axes[1].set(xlabel="n", ylabel="log10 P", title="log-probability (p = 2)")
    for ax in axes:
        ax.set_xticks(list(FIG415_NS))
    axes[0].legend(fontsize=8)
    fig.suptitle("Fig. 4.15: separation of the exemplar points helps (centred construction)", fontsize=10)
    fig.tight_layout()
    return fig


def _code_curve(ax, rows, p, var, ls, col, label, alpha=1.0):
    sel = [r for r in rows if r.p == p and r.variant == var]
    ns = sorted({r.n for r in sel})
    S = np.array([sum(r.successes for r in sel if r.n == m) for m in ns])
    T = np.array([sum(r.trials for r in sel if r.n == m) for m in ns])
    bands = np.array([clopper_pearson(int(s), int(t)) for s, t in zip(S, T)]).reshape(-1, 2)
    ns = np.array(ns)
    hit = S > 0
    ax.semilogy(ns[hit], S[hit] / T[hit], ls, marker="o", ms=3, color=col, alpha=alpha, label=label)
    if hit.any():
        ax.fill_between(ns[hit], bands[hit, 0], bands[hit, 1], alpha=0.2 * alpha, color=col)
    if (~hit).any():  # no success in any subset: the 95 % upper bound
        ax.semilogy(ns[~hit], bands[~hit, 1], "v", ms=4, color=col, alpha=0.6 * alpha)


def fig_codes(rows, estimates: Sequence[CellEstimate], ps: Sequence[int], control=()):
    """(a): P of the construction on the codes' n-subsets (pooled over seeds) vs random points;
    ``control`` the same trials on the untrained networks."""
    fig, axes = plt.subplots(1, len(ps), figsize=(3.2 * len(ps), 3.6), squeeze=False)
    for ax, p in zip(axes[0], ps):
        for var, ls in (("centred", "-"), ("linear", "--")):
            n, P, _, _, _ = curve(estimates, p, var)
            if len(n):
                ax.semilogy(n, np.maximum(P, 1e-8), ls, color="grey", label=f"uniform random ({var})")
            col = "tab:red" if var == "centred" else "tab:orange"
            _code_curve(ax, rows, p, var, ls, col, f"trained codes ({var})")
            if control:
                _code_curve(ax, control, p, var, ls, col, f"untrained codes ({var})", alpha=0.35)
        ax.set(title=f"100-{p}-60", xlabel="n (classes in the subset)", ylim=(1e-7, 1.5))
    axes[0][0].plot([], [], "v", color="grey", label="no success: 95 % upper bound")
    axes[0][0].set_ylabel("P(MP embedding succeeds)")
    axes[0][0].legend(fontsize=6)
    fig.suptitle("(a) Bottleneck codes of the noise-free jumps u_k (random n-subsets of "
                 "the 60 classes) vs uniform random points", fontsize=9)
    fig.tight_layout()
    return fig


def fig_init(curves: dict, ps: Sequence[int], seeds: int, target: float):
    """(b): validation loss and accuracy (mean ± sd over seeds) per output-layer initialisation
    against training steps; ``curves`` maps (p, init) to ``networks.InitCurves``."""
    fig, axes = plt.subplots(2, len(ps), figsize=(3.8 * len(ps), 6), squeeze=False)
    for j, p in enumerate(ps):
        for init, (c, label) in INIT_STYLE.items():
            if (p, init) not in curves:
                continue
            d = curves[(p, init)]
            for i, values in enumerate((d.loss, d.acc)):
                m, s = values.mean(1), values.std(1)
                axes[i][j].plot(d.step, m, color=c, label=label)
                axes[i][j].fill_between(d.step, m - s, m + s, color=c, alpha=0.15)
        axes[1][j].axhline(target, color="grey", lw=0.7, ls=":")
        axes[0][j].set(title=f"100-{p}-60 ({seeds} seeds)", ylabel="validation loss", yscale="log")
        axes[1][j].set(xlabel="SGD step", ylabel="validation accuracy")
    axes[0][0].legend(fontsize=7)
    fig.suptitle("(b) Output-layer initialisations (mean ± sd over seeds; SGD lr 0.01, batch 100)", fontsize=9)
    fig.tight_layout()
    return fig
