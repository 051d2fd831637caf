"""Thesis Ch. 6's claims as criteria, fixed before any number is seen (digest §6, §9 claims 35–46).

Each :class:`~jaxprobe.analysis.verdicts.Criterion` quotes the thesis with its section, names the measure
and the thresholds of "holds" / "partly" (anything else "does not hold"); :mod:`.claims` applies them and
nothing else. The thesis prints no number for any of Ch. 6's figures, so every threshold below turns one of
its qualitative words into a bar, stated once here:

* "significantly" higher / lower / drops: a change of at least :data:`CHANGE` (10 %) between the input and
  hidden layer 3, seed means;
* "stripes": :func:`~jaxprobe.studies.thesis_ch6.measures.stripe_index` ≥ :data:`STRIPES` (adjacent class
  means closer than half the average pair); "no stripes": ≤ :data:`NO_STRIPES`;
* "remains constant": max/min over hidden layers 1–3 ≤ 1 + :data:`FLAT`;
* "increases slightly": an increase of at most :data:`SLIGHT`; "significantly increases": at least :data:`SLIGHT`;
* "fails" on true labels: accuracy ≤ :data:`FAILS` (3× chance of 1/60);
* "spread … no longer along a thin manifold" in t-SNE: neighbour agreement at hidden layer 3 at most
  :data:`SPREAD` × the input's.

A claim about trained networks is also judged on a negative control (the untrained networks, a shuffled
grouping, or the other network, named in each criterion's measure); a claim that holds on its control too
is "not discriminating" (``jaxprobe.analysis.verdicts.with_control``).
"""

from __future__ import annotations

from jaxprobe.analysis.verdicts import Criterion

__all__ = ["CHANGE", "STRIPES", "NO_STRIPES", "FLAT", "SLIGHT", "FAILS", "SPREAD", "SIMILAR", "MNIST_TOLERANCE",
           "SHEET_MNIST_TRAIN", "MEM_REACHES", "MEM_SLOWER", "MEM_FAILS", "NO_STRIPES_RANDOM", "STRIPES_TRUE",
           "STRIPES_UNTRAINED", "TSNE_MEM_SPREADS", "TSNE_NORMAL_LIKE_INPUT", "NORMAL_EUCLIDEAN", "NORMAL_LEVEL",
           "NORMAL_INNER_DROPS", "NORMAL_INTER_FLAT", "MNIST_ACCURACY", "MNIST_INNER", "MNIST_INTER", "MEM_LEVEL",
           "MEM_INNER_RANDOM", "MEM_INTER_RANDOM", "MEM_INNER_TRUE", "MEM_INTER_TRUE", "NC1_NORMAL",
           "SIGNATURE_TRUE", "SIGNATURE_TRAIN", "ALL"]

CHANGE = 0.10
STRIPES, NO_STRIPES = 0.5, 0.2
FLAT = 0.15
SLIGHT = 0.25
FAILS = 3 / 60
SPREAD = 0.5
#: "not really different from the original input": neighbour agreement at every hidden layer ≥ SIMILAR × input's.
SIMILAR = 0.8
#: |ours − 98.07 %| for "holds" (percentage points / 100).
MNIST_TOLERANCE = 0.01
#: Training digits of the thesis's MNIST run (48,000 of the 60,000, 12,000 for validation).
SHEET_MNIST_TRAIN = 48_000

_AI = "normalised Euclidean, cosine and correlation (the activation-insensitive measures)"
_ALL, _HALF = "all three", "two of three"

MEM_REACHES = Criterion(
    claim="memorising network reaches 100 % training accuracy",
    quote="The training process is relatively slow for the randomly labeled data, but it is possible to reach "
          "100% accuracy in training data.",
    source="thesis §6.2.2", measure="training accuracy on the 12,000 permuted-label signals at the checks, per seed",
    holds="every seed reaches 1.0 within the epoch budget", partly="every seed reaches 0.99")
MEM_SLOWER = Criterion(
    claim="memorising is slower than learning the true labels",
    quote="The training process is relatively slow for the randomly labeled data",
    source="thesis §6.2.2",
    measure="median over seeds of the epochs to training accuracy 0.5, 0.9 and 1.0, memorising network vs the "
            "normal network (same MLP, true labels); a level never reached counts as beyond the budget",
    holds="memorising needs more epochs at every level", partly="at half the levels or more")
MEM_FAILS = Criterion(
    claim="memorising network fails on true-label data",
    quote="the model fails in predicting truly labeled data",
    source="thesis §6.2.4, Fig. 6.4(d)",
    measure="accuracy on the 60,000 true-label analysis signals (chance 1/60), seed median; control: the normal "
            "network",
    holds=f"≤ {FAILS:.3f} (3× chance)", partly="≤ 0.2")
NO_STRIPES_RANDOM = Criterion(
    claim="Fig. 6.3: no stripes when grouped by random labels",
    quote="each neuron is activated quite evenly across the range of (randomly) training labels",
    source="thesis §6.2.4, Fig. 6.3",
    measure="stripe index of the memorising network's class means by random label (training set), hidden layers "
            "1–3, seed median; control: the normal network's class means by its (true) training labels",
    holds=f"≤ {NO_STRIPES} at every hidden layer", partly=f"≤ {NO_STRIPES} at half of them or more")
STRIPES_TRUE = Criterion(
    claim="Fig. 6.4: stripes when grouped by true labels",
    quote="similar … as in the normally trained MLP (the text, on the stripes; the caption of Fig. 6.4 says "
          "\"Stripe-like figures disappears compared to normal network\")",
    source="thesis §6.2.4, Fig. 6.4",
    measure="stripe index of the memorising network's class means by true label (60,000 analysis signals), "
            "hidden layers 1–3, seed median; control: the same activations grouped by shuffled true labels",
    holds=f"≥ {STRIPES} at every hidden layer", partly=f"≥ {STRIPES} at half of them or more")
STRIPES_UNTRAINED = Criterion(
    claim="stripes are an artifact of the data (an untrained network has them)",
    quote="the stripe-like figures … are an artifact produced by the data",
    source="thesis §6.2.4 (tested past the thesis on untrained networks)", trained=False,
    measure="stripe index of untrained networks' class means by true label (analysis signals), hidden layers 1–3, "
            "seed median; control: shuffled true labels",
    holds=f"≥ {STRIPES} at every hidden layer", partly=f"≥ {STRIPES} at half of them or more")
TSNE_MEM_SPREADS = Criterion(
    claim="Fig. 6.5: memorising network's classes spread with depth in t-SNE",
    quote="As the layer goes deeper, the hidden features … are grouped more and more loosely … Especially in the "
          "third layer … distributed quite evenly and no longer along a traceable thin manifold",
    source="thesis §6.3, Fig. 6.5",
    measure="neighbour agreement in the t-SNE map of the training signals (share of each point's 10 nearest "
            "points whose true jump position is within ±2; chance 5/60), seed 0; control: the normal network",
    holds=f"hidden layer 3 ≤ {SPREAD} × input and no rise from layer 1 to 2 to 3",
    partly="hidden layer 3 below the input")
TSNE_NORMAL_LIKE_INPUT = Criterion(
    claim="Fig. 6.6: normal network's t-SNE like the input's",
    quote="not really different from the original input",
    source="thesis §6.3, Fig. 6.6",
    measure="neighbour agreement (as above) of the normal network, seed 0; control: the memorising network",
    holds=f"every hidden layer ≥ {SIMILAR} × input", partly="every hidden layer ≥ 0.5 × input")
NORMAL_EUCLIDEAN = Criterion(
    claim="Fig. 6.7: Euclidean deviations increase, inner dips at layer 1",
    quote="the deviation generally increases, except that there is a slight drop of the inner-class deviation "
          "from the input layer to the first hidden layer",
    source="thesis §6.4.1, Fig. 6.7",
    measure="normal network, 60,000 analysis signals, seed means over layers 0–3: inner(3) > inner(0), "
            "inter(3) > inter(0), inner(1) < inner(0); control: the untrained networks",
    holds="all three checks", partly=_HALF)
NORMAL_LEVEL = Criterion(
    claim="Fig. 6.8(a): activation level increases with depth",
    quote="the overall activation level increases in deeper layers",
    source="thesis §6.4.1, Fig. 6.8(a)",
    measure="mean L1 norm (eq. 6.4) per layer 0–3, seed means, normal network; control: untrained",
    holds="strictly increasing over layers 0–3", partly="layer 3 above layer 0")
NORMAL_INNER_DROPS = Criterion(
    claim="Fig. 6.9(a): inner-class deviation drops significantly",
    quote="The inner-class deviation drops significantly with layers.",
    source="thesis §6.4.1, Fig. 6.8(b), 6.9(a)",
    measure=f"inner-class {_AI}, layer 3 vs input, seed means, normal network; control: untrained",
    holds=f"{_ALL} ≤ {1 - CHANGE:g} × input", partly=_HALF)
NORMAL_INTER_FLAT = Criterion(
    claim="Fig. 6.9(b): inter-class deviation without significant tendency",
    quote="While the inter-class deviation shows an overall drop but with no significant tendency.",
    source="thesis §6.4.1, Fig. 6.9(b)",
    measure=f"|relative change, input → layer 3| of the inter-class {_AI} against that of the inner-class, "
            "normal network; control: untrained",
    holds=f"inter changes less than inner for {_ALL}", partly=_HALF)
MNIST_ACCURACY = Criterion(
    claim="MNIST 784-784×4-10 test accuracy",
    quote="98.07%", source="thesis §6.4.2",
    measure="accuracy on the MNIST test digits; judged only when trained on the thesis's 48,000 digits "
            "(otherwise not comparable)",
    holds=f"|ours − 0.9807| ≤ {MNIST_TOLERANCE}")
MNIST_INNER = Criterion(
    claim="Fig. 6.12: level rises, inner-class deviation drops sharply at layer 1",
    quote="the inner-class deviation is very high at the original input representation … a sharp drop from the "
          "input to the first hidden layer feature, even in the non-normalised Euclidean deviation",
    source="thesis §6.4.2, Fig. 6.12",
    measure="MNIST test digits, layers 0–4: level strictly increasing; Euclidean inner(1) < inner(0); "
            f"inner-class {_AI} each ≤ {1 - 2.5 * CHANGE:g} × input at layer 1 (five checks); control: untrained",
    holds="all five checks", partly="three of five or more")
MNIST_INTER = Criterion(
    claim="Fig. 6.12(d): inter-class deviation first drops, then rises above the input",
    quote="the inter-class deviation shows a tendency that it first drops gradually and then increases until "
          "higher deviation than the original input",
    source="thesis §6.4.2, Fig. 6.12(d)",
    measure=f"inter-class (all 45 pairs) {_AI}, layers 0–4: minimum at a hidden layer 1–3 and the last hidden "
            "layer above the input; control: untrained",
    holds=f"{_ALL}", partly=_HALF)
MEM_LEVEL = Criterion(
    claim="Fig. 6.13: memorising network's activation level higher than normal's",
    quote="significantly higher than in the normal model",
    source="thesis §6.4.3, Fig. 6.13 vs 6.8(a)",
    measure="mean L1 norm per hidden layer 1–3, memorising network on its random-label training data over the "
            "normal network on the analysis signals (seed means; the same input distribution); control: untrained "
            "networks in place of the memorising ones",
    holds=f"ratio ≥ {1 + 2 * CHANGE:g} at every hidden layer", partly="ratio > 1 at every hidden layer")
MEM_INNER_RANDOM = Criterion(
    claim="Fig. 6.13: inner-class deviation climbs at layer 1, then stays",
    quote="the deviation climbs to a high level from the input to the first layer representation, and then "
          "remains constant",
    source="thesis §6.4.3, Fig. 6.13",
    measure=f"inner-class {_AI} by random label on the training signals: layer 1 ≥ {1 + CHANGE:g} × input and "
            f"max/min over layers 1–3 ≤ {1 + FLAT:g}; control: untrained",
    holds=f"{_ALL}", partly=_HALF)
MEM_INTER_RANDOM = Criterion(
    claim="Fig. 6.13: inter-class deviation increases significantly",
    quote="significantly increases with layers",
    source="thesis §6.4.3, Fig. 6.13",
    measure=f"inter-class (adjacent random labels) {_AI} on the training signals: layer 3 ≥ {1 + SLIGHT:g} × input; "
            "control: untrained",
    holds=f"{_ALL}", partly=_HALF)
MEM_INNER_TRUE = Criterion(
    claim="Fig. 6.14: memorising expands same-true-class distances",
    quote="greatly expands the gap of the data instances in the same true class",
    source="thesis §6.4.3, Fig. 6.14",
    measure=f"inner-class {_AI} by true label (60,000 analysis signals): layer 3 ≥ {1 + CHANGE:g} × input; "
            "control: untrained",
    holds=f"{_ALL}", partly=_HALF)
MEM_INTER_TRUE = Criterion(
    claim="Fig. 6.14: inter-class deviation increases only slightly",
    quote="not trying to increase the gap … although the deviation still increases slightly",
    source="thesis §6.4.3, Fig. 6.14",
    measure=f"inter-class (adjacent true positions) {_AI}: layer 3 / input in (1, {1 + SLIGHT:g}]; control: untrained",
    holds=f"{_ALL}", partly=_HALF)
NC1_NORMAL = Criterion(
    claim="(past the thesis) NC1 falls with depth in the normal network",
    quote="(no quote: past the thesis; a paraphrase of §6.4.4's summary that normal learning contracts "
          "same-class representations layer by layer, measured with Papyan et al.'s NC1)",
    source="thesis §6.4.4; Papyan et al. PNAS 2020",
    measure="NC1 = tr(Σ_W Σ_B⁺)/C by true label on held-out analysis signals, layers 0–3, seed means; control: "
            "untrained",
    holds="strictly decreasing over layers 0–3", partly="layer 3 below the input")
SIGNATURE_TRUE = Criterion(
    claim="(past the thesis) memorisation signature on held-out true-label data",
    quote="(no quote: issue 14's question) Does memorisation show up as a layer-wise signature these measures "
          "can detect?",
    source="past the thesis (§6.4.3's contrast, measured with NC1, CDNV and the deviations)",
    measure="for each activation-insensitive measure (NC1, CDNV, inner and inter normalised Euclidean, cosine, "
            "correlation): the five memorising and five normal networks' values do not overlap at every hidden "
            "layer 1–3 (held-out true-label signals); share of measures that separate; control: the two groups' "
            "untrained networks",
    holds="every measure separates", partly="half of the measures or more")
SIGNATURE_TRAIN = Criterion(
    claim="(past the thesis) memorisation signature on the training data",
    quote="(no quote: issue 14's question) Does memorisation show up as a layer-wise signature these measures "
          "can detect?",
    source="past the thesis",
    measure="as above, on each network's own training signals and training labels, each value divided by the "
            "input's (the change the network makes); control: the untrained networks on the same data and labels",
    holds="every measure separates", partly="half of the measures or more")

#: Every claim of the study, in report order.
ALL = (MEM_REACHES, MEM_SLOWER, MEM_FAILS, NO_STRIPES_RANDOM, STRIPES_TRUE, STRIPES_UNTRAINED, TSNE_MEM_SPREADS,
       TSNE_NORMAL_LIKE_INPUT, NORMAL_EUCLIDEAN, NORMAL_LEVEL, NORMAL_INNER_DROPS, NORMAL_INTER_FLAT, MNIST_ACCURACY,
       MNIST_INNER, MNIST_INTER, MEM_LEVEL, MEM_INNER_RANDOM, MEM_INTER_RANDOM, MEM_INNER_TRUE, MEM_INTER_TRUE,
       NC1_NORMAL, SIGNATURE_TRUE, SIGNATURE_TRAIN)
