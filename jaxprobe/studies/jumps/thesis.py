"""The thesis's numbers for the jump study (Chen 2017, Tables 3.1–3.4, 4.1, 7.1) and names.

Every figure is copied from the digest (``shared/spec/thesis_digest.md`` §3, §4, §7); the claim
titles are the digest's §9 list, claims 1–25.
"""

from __future__ import annotations

#: (L1, L2, 99 % L1, 99 % L2) of every model in Tables 3.1–3.4, 4.1 and 7.1.
THESIS_ERRORS = {
    "baseline": (0.5532, 1.4946, 0.4917, 0.7443),
    "mlp1": (0.3065, 0.8043, 0.2606, 0.6304),
    "mlp2": (0.3083, 0.7722, 0.2675, 0.6222),
    "mlp3": (0.3583, 0.8132, 0.3169, 0.6667),
    "mlp4": (0.3913, 0.8428, 0.3531, 0.7075),
    "cnn1": (0.3248, 0.7862, 0.2854, 0.6452),
    "cnn2": (0.3213, 0.7592, 0.2839, 0.6309),
    "cnn3": (0.3458, 0.7946, 0.3089, 0.6721),
    "shallow10": (0.7980, 1.4658, 0.7370, 1.0820),
    "shallow4": (1.1626, 1.6809, 1.0993, 1.4755),
    "shallow2": (1.5486, 1.9874, 1.5053, 1.9086),
    "deep10": (0.6478, 1.3121, 0.5742, 0.9255),
    "deep4": (0.7000, 1.1795, 0.6450, 0.9661),
    "deep2": (0.9830, 1.3136, 0.9542, 0.2621),  # last value: a typo in Table 7.1 (< its L1)
}
#: Fig. 3.7: the baseline's largest |error| on the 6000 test signals.
BASELINE_MAX_ERROR = 58
#: Fig. 3.10: the early-stopped 2-layer MLP's largest |error|.
MLP2_MAX_ERROR = 12
#: §3.3.1: the 2-layer MLP's validation minimum and the epoch its training error reaches 0.
MLP2_BEST_EPOCH, MLP2_ZERO_TRAIN_ERROR_EPOCH = 131, 1400
#: Fig. 4.5: active bottleneck units of the deep networks for p = 6, 9, 10.
DEEP_ACTIVE_UNITS = {6: 5, 9: 8, 10: 8}

#: Row names of the tables.
LABELS = {
    "baseline": "Signal processing approach", "mlp1": "1-layer NN", "mlp2": "2-layer MLP",
    "mlp3": "3-layer MLP", "mlp4": "4-layer MLP", "cnn1": "1-conv-layer CNN (7)", "cnn1k5": "1-conv CNN (5)",
    "cnn2": "2-conv-layer CNN (5, 9)", "cnn3": "3-conv-layer CNN (5, 7, 9)",
    **{f"shallow{p}": f'"Bottleneck" 100-{p}-60' for p in range(2, 11)},
    **{f"deep{p}": f'"Bottleneck" 100-25-{p}-25-60' for p in range(2, 11)},
}

#: Short titles of the digest's §9 claims 1–25.
CLAIM_TITLES = {
    1: "t-SNE of training signals: manifold ordered by jump position", 2: "Fig. 3.5: optimal τ grows with σ, best P falls",
    3: "baseline 0.5532/1.4946/0.4917/0.7443, max 58, 99% errors ≤ 2", 4: "2-layer MLP: val minimum at epoch 131, train error 0 at ~1400",
    5: "2-layer MLP 0.3083/0.7722/0.2675/0.6222, max |error| 12", 6: "1-layer NN 0.3065/0.8043/0.2606/0.6304, best L1",
    7: "3-, 4-layer MLPs worse (deeper is worse)", 8: "every MLP beats the baseline on all four measures",
    9: "1-layer NN weights near-diagonal, columns = smoothed first derivative", 10: "2-layer MLP W1 smaller outside 20–80",
    11: "2-layer MLP hidden class means stripe-like, dead units, output diagonal",
    12: "1-conv CNN (7): mixed-sign filter, peak at the jump, diagonal FC", 13: "length-5 conv filter one-signed",
    14: "2-conv CNN: layer 1 smooths, layer 2 differentiates", 15: "3-conv CNN: layer 3 redundant",
    16: "CNN errors; all beat baseline; 2-conv best CNN, no better than 2-layer MLP",
    17: "shallow 100-10-60, 100-4-60 errors; worse than baseline", 18: "deep 100-25-10/4-25-60 errors; deep better than shallow",
    19: "100-2-60 and 100-25-2-25-60 errors (Table 7.1)", 20: "shallow sweep monotone in p (except complete L2)",
    21: "deep sweep rises at 5→6 and 9→10, dead bottleneck units", 22: "dead units in deep bottlenecks, not in shallow",
    23: "100-2-60 codes: ordered curve, silent units at the ends, ends worst separated",
    24: "Moore–Penrose toy map R²→R³ always succeeds", 25: "least-squares map V(VᵀV)⁻¹, images ≠ I_n",
}


def label(key: str) -> str:
    """A table row name: ``'cnn2_relu'`` → ``'2-conv-layer CNN (5, 9) [relu]'``.

    >>> label("mlp2"), label("cnn1_linear")
    ('2-layer MLP', '1-conv-layer CNN (7) [linear]')
    """
    base, _, act = key.partition("_")
    return LABELS.get(base, base) + (f" [{act}]" if act else "")
