"""Seed 000's claims as criteria, fixed before any number is seen (issue 18).

Each :class:`~jaxprobe.analysis.verdicts.Criterion` quotes the seed with its section, names the
measure and the thresholds of "holds" / "partly" (anything else "does not hold"). The thresholds
are the module constants below; :mod:`.claims` applies them and nothing else.

One bar for "discriminant" serves every row: a set of vectors is discriminant when the silhouette
of its class partition under the cosine distance exceeds :data:`DISCRIMINANT_SILHOUETTE` = 0.25,
the bound below which Kaufman & Rousseeuw (1990, *Finding Groups in Data*, ch. 2) find "no
substantial structure". Below or at the bar a set is "not discriminant", which is how the seed's
"far from discriminant" is read; so no set is called discriminant in one row and far from it in
another. The leave-one-out k-NN accuracy is reported beside it (it measures local neighbourhoods,
which random projections of pixels keep) but judges nothing.
"""

from __future__ import annotations

from jaxprobe.analysis.verdicts import Criterion

__all__ = [
    "DISCRIMINANT_SILHOUETTE", "MARGIN", "LAYER_SHARE_PARTLY", "ACCURACY_HOLDS", "ACCURACY_PARTLY",
    "CLOSE_COSINE", "COSINE_RISE", "GRADIENT_TOLERANCE", "GUIDED_TOLERANCE", "GUIDED_SHARE_HOLDS",
    "GUIDED_P_VALUE", "ACCURACY", "TARGETS_AT_INIT", "TARGETS_AT_100", "HIGHER_LAYERS", "TARGETS_SHARPEN",
    "Z1_GROWS", "Z1_MEETS_TARGET", "FEATURES_AT_INIT", "FEATURES_AFTER", "DIRECT_LOSSES", "COSINE_CLOSE",
    "GUIDED_READABLE", "GUIDED_IS_GUIDED_BACKPROP", "FIG8_PATTERNS", "ALL",
]

#: Silhouette (cosine) above which a vector set is "discriminant" (Kaufman & Rousseeuw's 0.25).
DISCRIMINANT_SILHOUETTE = 0.25
#: Silhouette differences smaller than this count as "no difference".
MARGIN = 0.05
#: Share of layers (or checks) that makes a per-layer claim "partly" hold.
LAYER_SHARE_PARTLY = 0.5
#: |ours − 97.51| (percentage points) for "holds" and "partly".
ACCURACY_HOLDS, ACCURACY_PARTLY = 0.5, 2.0
#: cos(z_l, −õ_l) at or above which z_l is "close" to its target: cosine distance ≤ 0.5, angle ≤ 60°.
CLOSE_COSINE = 0.5
#: A rise of cos(z_l, −õ_l) that counts: 1/√100, the spread of the cosine of two random
#: directions in the 100-dimensional hidden layers.
COSINE_RISE = 0.10
#: Relative gradient error of the direct losses allowed by float32 rounding.
GRADIENT_TOLERANCE = 1e-4
#: Relative difference allowed between guided-bp-DNN and guided backprop.
GUIDED_TOLERANCE = 1e-5
#: Share of digits on which guided-bp-DNN's map must beat bp-DNN's for "holds".
GUIDED_SHARE_HOLDS = 0.9
#: Wilcoxon p below which "guided beats bp-DNN on most digits" counts as "partly".
GUIDED_P_VALUE = 0.01

_SIL = f"silhouette > {DISCRIMINANT_SILHOUETTE}"
_SHARE = "half the layers or more"

ACCURACY = Criterion(
    claim="DNN-6 test accuracy (%)",
    quote="The final accuracy of DNN-6 on the test set of MNIST is 97.51%.",
    source="seed 000 §4",
    measure="accuracy (%) on the MNIST test set after the run's iterations; judged only when trained on the "
            "60,000 MNIST digits (otherwise not comparable)",
    holds=f"|ours − 97.51| ≤ {ACCURACY_HOLDS}", partly=f"|ours − 97.51| ≤ {ACCURACY_PARTLY}")

TARGETS_AT_INIT = Criterion(
    claim="õ_l discriminant at every layer l = 1..5 at iteration 0 (random weights)",
    quote="the target õ_l generated from bp-DNN does have the discriminant property for all layers l = 1, …, 5 "
          "[…] even when the weights of bp-DNN are initialized randomly",
    source="seed 000 §4.1, Fig. 4 (iteration 0)",
    measure="cosine silhouette of õ_l against the digit classes, l = 1..5, iteration 0",
    holds=f"{_SIL} at every layer", partly=f"{_SIL} at {_SHARE}", trained=False)

TARGETS_AT_100 = Criterion(
    claim="õ_l discriminant at every layer l = 1..5 at iteration 100",
    quote="the discriminant property is preserved during training, for example, in the iteration 100, õ_l "
          "preserve the discriminant property as well",
    source="seed 000 §4.1, Fig. 4 (iteration 100)",
    measure="cosine silhouette of õ_l against the digit classes, l = 1..5, iteration 100",
    holds=f"{_SIL} at every layer", partly=f"{_SIL} at {_SHARE}")

HIGHER_LAYERS = Criterion(
    claim="õ_l of higher layers (l ≥ 3) more discriminant than lower (l ≤ 2)",
    quote="the distribution of target in higher layers (l ≥ 3) seems more discriminant than that of bottom "
          "layers (l ≤ 3)",
    source="seed 000 §4.1, Fig. 4 (the seed's 'l ≤ 3' read as l ≤ 2)",
    measure="mean silhouette of õ_3..õ_5 minus mean silhouette of õ_1, õ_2, at iterations 0 and 100",
    holds=f"difference ≥ {MARGIN} at both iterations", partly=f"difference ≥ {MARGIN} at one of them")

TARGETS_SHARPEN = Criterion(
    claim="õ_1, õ_2 more discriminant at iteration 100 than at 0",
    quote="the targets õ_1 and õ_2 in 100th iteration are more discriminant than those in the 0th iteration",
    source="seed 000 §4.1, Fig. 4",
    measure="silhouette gain of õ_1 and of õ_2 from iteration 0 to 100",
    holds=f"gain ≥ {MARGIN} for both", partly=f"gain ≥ {MARGIN} for one")

Z1_GROWS = Criterion(
    claim="z_1 grows more discriminant through training (Fig. 5 iterations)",
    quote="the distribution of the learned features z_1 becomes more and more discriminant during the training",
    source="seed 000 §4.1, Fig. 5",
    measure="silhouette of z_1 at iterations 10, 30, 50, 100 and the last",
    holds=f"last − first ≥ {MARGIN} and no step between snapshots falls by more than {MARGIN}",
    partly=f"last − first ≥ {MARGIN}")

Z1_MEETS_TARGET = Criterion(
    claim="z_1 as discriminant as õ_1 at the last iteration",
    quote="in iteration 10000, the distribution of z_1 achieves a similar degree of discriminant property as "
          "the distribution of õ_1",
    source="seed 000 §4.1, Fig. 5",
    measure="|silhouette(z_1) − silhouette(õ_1)| at the last iteration",
    holds=f"≤ {MARGIN}", partly=f"≤ {2 * MARGIN}")

FEATURES_AT_INIT = Criterion(
    claim="z_l (l = 1..5) at iteration 0 far from discriminant",
    quote="the corresponding distribution of z_l, l = 1, …, 5 in the iteration 0 is shown in the first row of "
          "Fig. 6, which are far from discriminant",
    source="seed 000 §4.1, Fig. 6 (top row)",
    measure="cosine silhouette of z_l against the digit classes, l = 1..5, iteration 0",
    holds=f"not discriminant (silhouette ≤ {DISCRIMINANT_SILHOUETTE}) at every layer",
    partly=f"not discriminant at {_SHARE}", trained=False)

FEATURES_AFTER = Criterion(
    claim="z_l (l = 1..5) discriminant at the last iteration",
    quote="the distribution of z_l, l = 1, …, 5 in iteration 10000 does show the discriminant property",
    source="seed 000 §4.1, Fig. 6 (bottom row)",
    measure="cosine silhouette of z_l against the digit classes, l = 1..5, last iteration",
    holds=f"{_SIL} at every layer", partly=f"{_SIL} at {_SHARE}")

DIRECT_LOSSES = Criterion(
    claim="ℓ^fp and ℓ^bp have the true loss's gradient at every layer (eq. 7, 10)",
    quote="ΔW_l = ∂ℓ^fp/∂W_l = ∂ℓ_Θ(x, y)/∂W_l […] we define the direct loss function of bp-DNN to have the "
          "same gradient w.r.t. W_l",
    source="seed 000 §3.1–3.2, eq. 7, 9, 10",
    measure="largest relative error ‖g_direct − ∂ℓ/∂θ‖ / ‖∂ℓ/∂θ‖ over layers 1..6 (ℓ^fp for W_l and b_l, "
            "−ℓ^bp for W_l), 64 test digits, float32",
    holds=f"≤ {GRADIENT_TOLERANCE:g}", trained=False)

COSINE_CLOSE = Criterion(
    claim="training brings z_l close to the target −õ_l in cosine distance",
    quote="The objective function ℓ^fp trains the W_l so that the output z_l of this hidden layer is close to "
          "the target −õ_l in cosine distance metric.",
    source="seed 000 §3.1, eq. 8",
    measure="mean over the probe digits of cos(z_l, −õ_l), l = 1..5, at the last iteration, and its rise "
            "from iteration 0",
    holds=f"cos ≥ {CLOSE_COSINE} (angle ≤ 60°) at every layer",
    partly=f"cos rose by ≥ {COSINE_RISE} at every layer (or reached {CLOSE_COSINE})")

GUIDED_READABLE = Criterion(
    claim="guided-bp-DNN reconstructions match their own digit better than bp-DNN's",
    quote="the visualization results of bp-DNN could be a mess and hard for us to understand […] The "
          "visualization of guided-bp-DNN in Fig. 7 could be readably for human",
    source="seed 000 §4.2, Fig. 7",
    measure="per digit, Pearson r of each map with the digit (784 pixels); share of digits where guided-bp-DNN's "
            "r exceeds bp-DNN's, two-sided Wilcoxon signed-rank test",
    holds=f"guided higher on ≥ {GUIDED_SHARE_HOLDS:.0%} of digits",
    partly=f"guided higher on more than half of the digits with p < {GUIDED_P_VALUE}")

GUIDED_IS_GUIDED_BACKPROP = Criterion(
    claim="with ReLU, guided-bp-DNN equals guided backprop (§4.2)",
    quote="when using ReLU as non-linear activation function, guided-bp-DNN is the same as the "
          "guided-Back-Propagation proposed in paper [21]",
    source="seed 000 §4.2, eq. 11",
    measure="max |guided-bp-DNN − guided backprop| / max |guided backprop| over the digits, trained network",
    holds=f"≤ {GUIDED_TOLERANCE:g}", trained=False)

FIG8_PATTERNS = Criterion(
    claim="guided-bp-DNN highlights stroke intersections and turns (Fig. 8)",
    quote="two types of patterns are important for DNN to recognize digits, i.e., the intersection parts of "
          "strokes (red box) and the turning parts of strokes (green box)",
    source="seed 000 §4.2, Fig. 8",
    measure="not measurable here: intersections and turns are judged by eye; shown: the share of the two "
            "strongest highlight boxes centred within 1 px of ink",
    holds="a measure of 'intersection' and 'turn' decided it (none does here, so: not measurable)")

#: Every criterion, in the order of the report.
ALL = (ACCURACY, TARGETS_AT_INIT, TARGETS_AT_100, HIGHER_LAYERS, TARGETS_SHARPEN, Z1_GROWS, Z1_MEETS_TARGET,
       FEATURES_AT_INIT, FEATURES_AFTER, DIRECT_LOSSES, COSINE_CLOSE, GUIDED_READABLE, GUIDED_IS_GUIDED_BACKPROP,
       FIG8_PATTERNS)
