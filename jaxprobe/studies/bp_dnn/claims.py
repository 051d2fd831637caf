"""Seed 000's claims (§4.1–4.2), each a function from numbers to a row beside the seed's words.

Every function takes measured numbers only (k-NN accuracies, silhouettes, errors, correlations)
and returns a :class:`ClaimRow`: the claim, our numbers, the seed's, the verdict and its rule.
A discriminance pair is ``(knn, silhouette)`` as measured by
``jaxprobe.analysis.discriminance`` on the raw vectors.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Sequence

import numpy as np

from jaxprobe.analysis.verdicts import NOT_COMPARABLE, NOT_MEASURABLE, at_most, share, within

Pair = tuple  # (k-NN accuracy, silhouette)


class ClaimRow(NamedTuple):
    """One row of the comparison table: the claim, ours, the seed's, the verdict, the rule."""

    quantity: str
    ours: Any
    seed: Any
    verdict: str
    note: str = ""


def _all_or_any(flags: Sequence[bool]) -> str:
    """holds when every flag is set, partly when at least one is, else does not hold."""
    flags = list(flags)
    return share(flags, holds=1.0, partly=1.0 / max(len(flags), 1))


def accuracy(acc: float, seed_acc: float, *, n_train: int, n_test: int, steps: int, test_desc: str) -> ClaimRow:
    """DNN-6's test accuracy (%) against the seed's; judged only when trained on the full MNIST."""
    full_mnist = n_train >= 50_000
    return ClaimRow("DNN-6 test accuracy (%)", round(acc, 2), seed_acc,
                    within(acc, seed_acc - 0.5, seed_acc + 0.5) if full_mnist else NOT_COMPARABLE,
                    f"trained on {n_train:,} digits for {steps:,} iterations; tested on {n_test:,} digits, "
                    f"{test_desc}" + ("" if full_mnist else "; the seed trained on the 60,000 MNIST digits"))


def targets_discriminant_at_init(t0: Sequence[Pair]) -> ClaimRow:
    """õ_l discriminant at every layer at iteration 0: k-NN ≥ 0.5 and silhouette > 0 per layer."""
    ok = [k >= 0.5 and s > 0 for k, s in t0]
    return ClaimRow("õ_l discriminant at every layer l = 1..5 at iteration 0 (random weights)",
                    "k-NN " + ", ".join(f"{k:.2f}" for k, _ in t0) + "; sil " + ", ".join(f"{s:.2f}" for _, s in t0),
                    "discriminant (by eye, Fig. 4)", _all_or_any(ok),
                    "criterion: k-NN ≥ 0.5 (5× chance) and silhouette > 0 at each layer")


def higher_layers_more_discriminant(t0: Sequence[Pair], t100: Sequence[Pair], s100: int) -> ClaimRow:
    """Mean over l = 3..5 above the mean over l = 1..2, both measures, iterations 0 and ``s100``."""
    checks = []
    for tag, t in (("it 0", t0), (f"it {s100}", t100)):
        for m, name in ((0, "k-NN"), (1, "sil")):
            hi = np.mean([t[l - 1][m] for l in (3, 4, 5)])
            lo = np.mean([t[l - 1][m] for l in (1, 2)])
            checks.append((f"{tag} {name}: {hi:.2f} vs {lo:.2f}", hi > lo))
    return ClaimRow("õ_l of higher layers (l ≥ 3) more discriminant than lower (l ≤ 2)",
                    "; ".join(c[0] for c in checks), "higher layers more discriminant",
                    _all_or_any(c[1] for c in checks),
                    "mean over l = 3..5 vs mean over l = 1..2, both measures, both iterations")


def targets_sharpen(t0: Sequence[Pair], t100: Sequence[Pair], s100: int) -> ClaimRow:
    """õ_1 and õ_2 more discriminant at iteration ``s100`` than at 0, on both measures."""
    checks = [t100[l - 1][m] > t0[l - 1][m] for l in (1, 2) for m in (0, 1)]
    checks_all = [t100[l][m] > t0[l][m] for l in range(len(t0)) for m in (0, 1)]
    return ClaimRow(f"õ_1, õ_2 more discriminant at iteration {s100} than at 0",
                    "; ".join(f"õ_{l} k-NN {t0[l - 1][0]:.2f}→{t100[l - 1][0]:.2f}, sil {t0[l - 1][1]:.2f}→"
                              f"{t100[l - 1][1]:.2f}" for l in (1, 2)),
                    "more discriminant at 100", _all_or_any(checks),
                    f"all layers l = 1..5: {sum(checks_all)}/{len(checks_all)} (layer, measure) pairs improve")


def z1_grows(z1: Sequence[Pair], fig5_steps: Sequence[int]) -> ClaimRow:
    """z_1 more discriminant at the last Fig. 5 iteration than the first, silhouette never falling."""
    grows = z1[-1][0] > z1[0][0] and z1[-1][1] > z1[0][1]
    mono = all(b[1] >= a[1] - 0.01 for a, b in zip(z1, z1[1:]))
    return ClaimRow("z_1 grows more discriminant through training (iterations " + ", ".join(map(str, fig5_steps)) + ")",
                    "k-NN " + " → ".join(f"{k:.2f}" for k, _ in z1) + "; sil " + " → ".join(f"{s:.2f}" for _, s in z1),
                    "more and more discriminant (Fig. 5)", share([grows, grows and mono], holds=1.0, partly=0.5),
                    "holds: last > first on both measures and silhouette never drops by > 0.01")


def z1_meets_target(z1_end: Pair, o1_end: Pair, steps: int) -> ClaimRow:
    """z_1 and õ_1 at the last iteration: k-NN within 0.05 and silhouette within 0.10."""
    close_k = abs(z1_end[0] - o1_end[0])
    close_s = abs(z1_end[1] - o1_end[1])
    return ClaimRow(f"z_1 approaches õ_1 by iteration {steps}",
                    f"k-NN z_1 {z1_end[0]:.2f} vs õ_1 {o1_end[0]:.2f}; sil z_1 {z1_end[1]:.2f} vs õ_1 {o1_end[1]:.2f}",
                    "similar degree of discriminance", _all_or_any([close_k <= 0.05, close_s <= 0.1]),
                    "criterion: k-NN differs by ≤ 0.05 and silhouette by ≤ 0.10")


def features_far_at_init(z0: Sequence[Pair], pixels: Pair) -> ClaimRow:
    """z_l at iteration 0 'far from discriminant': silhouette < 0.10 and k-NN < 0.30 at every layer."""
    low_sil = all(s < 0.1 for _, s in z0)
    low_knn = all(k < 0.3 for k, _ in z0)
    return ClaimRow("z_l (l = 1..5) at iteration 0 far from discriminant",
                    "k-NN " + ", ".join(f"{k:.2f}" for k, _ in z0) + "; sil " + ", ".join(f"{s:.2f}" for _, s in z0),
                    "far from discriminant (Fig. 6, top row)", _all_or_any([low_sil, low_knn]),
                    "criterion: silhouette < 0.10 (classes overlap) and k-NN < 0.30 (3× chance); random "
                    f"projections keep the pixels' local neighbourhoods (raw pixels: k-NN {pixels[0]:.2f})")


def features_gain(z0: Sequence[Pair], z_end: Sequence[Pair], steps: int, pixels: Pair) -> ClaimRow:
    """z_l at the last iteration far more discriminant than at 0: silhouette +0.10, k-NN +0.05."""
    far = [b[1] - a[1] >= 0.1 and b[0] - a[0] >= 0.05 for a, b in zip(z0, z_end)]
    return ClaimRow(f"z_l (l = 1..5) at iteration {steps} far more discriminant than at 0",
                    "; ".join(f"z_{l} k-NN {a[0]:.2f}→{b[0]:.2f}, sil {a[1]:.2f}→{b[1]:.2f}"
                              for l, (a, b) in enumerate(zip(z0, z_end), start=1)),
                    "far from discriminant at 0, discriminant at 10000 (Fig. 6)", _all_or_any(far),
                    "criterion: silhouette gain ≥ 0.10 and k-NN gain ≥ 0.05 at each layer; "
                    f"raw pixels give k-NN {pixels[0]:.2f}, silhouette {pixels[1]:.2f}")


def direct_losses_exact(worst: float) -> ClaimRow:
    """ℓ^fp and ℓ^bp give the true gradient: largest relative error ≤ 1e-4 (float32)."""
    return ClaimRow("ℓ^fp and ℓ^bp have the true loss's gradient at every layer (eq. 7, 10)",
                    f"max relative error {worst:.1e}", "equal (derivation)", at_most(worst, holds=1e-4),
                    "float32, layers 1..6")


def cosine_rises(cos_curve: dict, snap_steps: Sequence[int]) -> ClaimRow:
    """cos(z_l, −õ_l) higher at the end than at 0 and within 90 % of its peak, every layer."""
    c0 = np.array(cos_curve[snap_steps[0]])
    c_end = np.array(cos_curve[snap_steps[-1]])
    table = np.array([cos_curve[s] for s in snap_steps])
    c_max = np.max(table, axis=0)
    peak = [snap_steps[int(i)] for i in np.argmax(table, axis=0)]
    rises = c_end > c0
    kept = c_end >= 0.9 * c_max
    verdict = _all_or_any([bool((rises & kept).all()), bool(rises.any())])
    return ClaimRow("training increases cos(z_l, −õ_l) (ℓ^fp read as a cosine objective)",
                    "; ".join(f"l={l}: {a:.2f}→{b:.2f} (peak {m:.2f} at it {p})"
                              for l, a, b, m, p in zip(range(1, len(c0) + 1), c0, c_end, c_max, peak)),
                    "training maximises it", verdict,
                    "holds: last > first and last ≥ 0.9 × the peak over snapshots, at every layer; "
                    "partly: it rises from iteration 0 but falls back from its peak")


def guided_beats_bp(mean_guided: float, mean_bp: float, paired: dict) -> ClaimRow:
    """Guided-bp-DNN maps correlate better with their digit than bp-DNN's: on average and per digit.

    ``paired`` is :func:`~jaxprobe.studies.bp_dnn.measures.paired_comparison` of the two.
    """
    frac = paired["fraction_higher"]
    higher = mean_guided > mean_bp
    return ClaimRow("guided-bp-DNN reconstructions match their own digit better than bp-DNN's",
                    f"mean r {mean_guided:.3f} vs {mean_bp:.3f}; guided higher for {100 * frac:.1f} % "
                    f"of {paired['n']} digits (Wilcoxon p = {paired['p_value']:.1e})",
                    "guided readable, bp-DNN 'a mess' (by eye, Fig. 7)", _all_or_any([higher, frac > 0.5]),
                    "Pearson r over the 784 pixels, per digit")


def guided_equals_guided_backprop(max_rel_diff: float, n_digits: int) -> ClaimRow:
    """With ReLU, guided-bp-DNN equals guided backprop: max difference / max map ≤ 1e-5."""
    return ClaimRow("with ReLU, guided-bp-DNN equals guided backprop (§4.2)",
                    f"max abs difference / max abs map = {max_rel_diff:.1e}", "the same",
                    at_most(max_rel_diff, holds=1e-5), f"{n_digits} digits, trained network")


def highlights_on_strokes(on_ink: float, near_ink: float, n_digits: int) -> ClaimRow:
    """Fig. 8's intersections and turns cannot be measured; where the highlight boxes sit is shown."""
    return ClaimRow("guided-bp-DNN highlights stroke intersections and turns (Fig. 8)",
                    f"{100 * on_ink:.1f} % of the two strongest highlight boxes are centred within 1 px "
                    f"of ink ({n_digits} digits); pixels within 1 px of ink cover {100 * near_ink:.1f} % of the image",
                    "intersections (red) and turns (green), by eye", NOT_MEASURABLE,
                    "we can check that highlights sit on strokes, not whether they are intersections/turns")


def discriminance_reading(disc: dict, snap_steps: Sequence[int], n_hidden: int = 5) -> str:
    """The report's paragraph reading the discriminance table, from ``disc[(kind, l, step)]``."""
    steps = snap_steps[-1]
    t0 = {l: disc[("targets", l, 0)] for l in range(1, n_hidden + 1)}
    o1_sil = [(s, disc[("targets", 1, s)][1]) for s in snap_steps]
    s_peak, v_peak = max(o1_sil, key=lambda t: t[1])
    z1_end, o1_end = disc[("z", 1, steps)], disc[("targets", 1, steps)]
    meets = abs(z1_end[0] - o1_end[0]) <= 0.05 and abs(z1_end[1] - o1_end[1]) <= 0.1
    top = ("top", n_hidden + 1)
    return (
        "Reading the numbers. The targets' discriminance comes from the top signal: at iteration 0, "
        "p ≈ uniform, so p − y ≈ 1/10 − e_y is a pure label code (its own row in the table: k-NN 1.00, "
        "silhouette 1.00), and each layer's ReLU masks and transposed weights blur it a little more on the "
        "way down (silhouette at iteration 0 from l = 5 down to l = 1: "
        + ", ".join(f"{t0[l][1]:.2f}" for l in range(n_hidden, 0, -1))
        + f"). Through training the silhouette of õ_1 peaks at iteration {s_peak} ({v_peak:.2f}) and ends "
        f"at {o1_sil[-1][1]:.2f}: once a digit is classified with confidence, −(p − y) = (1 − p_y)(e_y − q) "
        "with q the distribution over the wrong classes, and q points at each digit's own runner-up class, "
        f"which varies within a class: the silhouette of p − y itself goes from {disc[top + (0,)][1]:.2f} "
        f"at iteration 0 to {disc[top + (steps,)][1]:.2f} at iteration {steps}. "
        + ("So z_1 meets õ_1 at the end partly because the target becomes less discriminant, not only "
           "because z_1 becomes more so. " if meets and o1_sil[-1][1] < v_peak - 0.05 else "")
        + "The features z_l at iteration 0 are random projections of the pixels and keep their local "
        "neighbourhoods (high k-NN), while their classes overlap globally (silhouette near 0), which is what "
        "the seed's t-SNE maps show as 'far from discriminant'.")
