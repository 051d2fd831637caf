"""Seed 002's claims as criteria, fixed before any number is seen.

Each :class:`~jaxprobe.analysis.verdicts.Criterion` quotes the seed with its section, names the
measure and the thresholds; :mod:`.claims` applies them and nothing else.

The claims compare a poorly trained network with the well-trained one (case I's 100 % network).
Their negative control is the same criterion with the well-trained network replaced by the
untrained one (the shared initial weights of that seed): a measure of training quality must not
also rank the untrained network above the poorly trained ones. When it does, the claim is "not
discriminating" (:func:`jaxprobe.analysis.verdicts.with_control`).

Raw RMSE depends on the scale of each block, so every RMSE claim is judged twice: on the raw blocks
(the seed's setting) and on blocks normalised to unit root-mean-square. Spectra are judged by
their effective rank (Roy & Vetterli 2007: exp of the entropy of σ_k² / Σσ²), which does not
depend on scale.
"""

from __future__ import annotations

from jaxprobe.analysis.verdicts import Criterion

#: Share of (seed, rank) cells — or of seeds — that makes a claim hold, or partly hold.
SHARE_HOLDS, SHARE_PARTLY = 0.8, 0.5
#: |ours − seed| in accuracy points for "holds" and "partly" (the largest over a case's conditions).
ACCURACY_HOLDS, ACCURACY_PARTLY = 3.0, 8.0
#: "Most of the 9's": recall of digit 9 at least this.
RECALL_MOST = 0.5
#: Cosine margin between the seed's "shared" and "disjoint" digit pairs (class means of A_1).
PAIR_MARGIN = 0.05
#: Spearman ρ (accuracy vs compressibility measure, per seed, over the trained networks).
READING_RHO_HOLDS, READING_RHO_PARTLY = 0.7, 0.3
#: The seed's digit pairs whose last-layer neurons fire together (§3.5 (1), (2)) and apart (§3.5 (3)).
SHARED_PAIRS = ((9, 1), (9, 6), (1, 7), (7, 2))
DISJOINT_PAIRS = ((0, 3), (0, 8))

_CELLS = f"share of (seed, rank) cells ≥ {SHARE_HOLDS}"
_CELLS_PARTLY = f"share ≥ {SHARE_PARTLY}"
_SEEDS = f"in ≥ {SHARE_HOLDS:.0%} of the seeds"
_SEEDS_PARTLY = f"in ≥ {SHARE_PARTLY:.0%} of the seeds"

ACCURACY_I = Criterion(
    claim="case I test accuracy (%) at 25 / 50 / 75 / 100 % of the data",
    quote="for 25% data: 83%. for 50% data: 89%, for 75% data: 93%, for 100% data: 95%",
    source="seed 002 §3.3",
    measure="test accuracy on the 10,000 MNIST test digits after one epoch, mean over seeds",
    holds=f"every |ours − seed| ≤ {ACCURACY_HOLDS:g} points", partly=f"every |ours − seed| ≤ {ACCURACY_PARTLY:g}")

ACCURACY_II = Criterion(
    claim="case II test accuracy (%) for digits {0}, {0..4}, {5..9}, all",
    quote="The test set accuracies for the respective cases are 9%,50%,47% and 93%.",
    source="seed 002 §3.4",
    measure="test accuracy after one epoch on the subset, mean over seeds ('all' = case I's 100 % network)",
    holds=f"every |ours − seed| ≤ {ACCURACY_HOLDS:g} points", partly=f"every |ours − seed| ≤ {ACCURACY_PARTLY:g}")

ACCURACY_III = Criterion(
    claim="case III test accuracy (%) after class-ordered training",
    quote="The accuracy of the network on the test set was 9%",
    source="seed 002 §3.5",
    measure="test accuracy after one class-by-class epoch (9, 0, 1, …, 8), mean over seeds",
    holds=f"|ours − seed| ≤ {ACCURACY_HOLDS:g} points", partly=f"|ours − seed| ≤ {ACCURACY_PARTLY:g}")

RECOGNISES_9 = Criterion(
    claim="case III network recognises most of the 9s (the first class trained)",
    quote="the network correctly recognizes most of the 9's",
    source="seed 002 §3.5",
    measure="recall of digit 9 on the test set, per seed",
    holds=f"recall ≥ {RECALL_MOST} {_SEEDS}", partly=f"recall ≥ {RECALL_MOST} {_SEEDS_PARTLY}")


def _rmse(claim, quote, source, measure, variant):
    return Criterion(claim=f"{claim} ({variant})", quote=quote, source=source,
                     measure=f"{measure}; {variant} blocks", holds=_CELLS, partly=_CELLS_PARTLY)


_I_QUOTE = ("the outputs of the network when trained on smaller datasets tends to be more compressible […] as "
            "evinced by the lower RMSE for smaller datasets over all latent dimension values")
_I_MEASURE = ("RMSE of eq. 1 at each rank 10..50 and seed; a cell counts when RMSE rises strictly from 25 to 50 to "
              "75 to 100 % of the data")
_II_QUOTE = ("when the training data is small and/or only a class based subset of the original training data, the "
             "outputs of the network are much more compressible, as indicated by the lower RMSE")
_II_MEASURE = ("RMSE of eq. 1 at each rank and seed; a cell counts for each subset {0}, {0..4}, {5..9} whose RMSE "
               "is below the all-digit network's")
_III_QUOTE = ("most of the network is not properly utilized in the case where we do not shuffle during training "
              "(which further corroborates our low-rank observation)")
_III_MEASURE = "RMSE of eq. 1 at each rank and seed; a cell counts when the class-ordered network's is below the 100 % network's"

CASE_I_RMSE = {v: _rmse("case I: less training data, lower RMSE at every rank", _I_QUOTE, "seed 002 §3.3, Fig. 3",
                        _I_MEASURE, v) for v in ("raw", "normalised")}
CASE_II_RMSE = {v: _rmse("case II: class subsets, lower RMSE than all digits", _II_QUOTE, "seed 002 §3.4, Fig. 6",
                         _II_MEASURE, v) for v in ("raw", "normalised")}
CASE_III_RMSE = {v: _rmse("case III: class-ordered training, lower RMSE than shuffled", _III_QUOTE,
                          "seed 002 §3.5, Fig. 8", _III_MEASURE, v) for v in ("raw", "normalised")}

_SPECTRA_QUOTE = ("a network with poorer performance transforms the dataset into a much lower dimensional subspace "
                  "when compared with a well trained or a high-performance network")
CASE_I_SPECTRA = {layer: Criterion(
    claim=f"case I: less training data, faster-decaying spectrum of A_{layer}",
    quote=_SPECTRA_QUOTE, source=f"seed 002 §3.3, Fig. {4 + layer}",
    measure=f"effective rank of A_{layer} per seed; a seed counts when it rises strictly from 25 to 50 to 75 to 100 %",
    holds=f"share of seeds ≥ {SHARE_HOLDS}", partly=f"share ≥ {SHARE_PARTLY}") for layer in (0, 1)}

CASE_II_SPECTRA = Criterion(
    claim="case II: class subsets, faster-decaying spectrum of A_1 than all digits",
    quote="This observation is even further consolidated by evidence from the singular value spectra (Figure 7) of the "
          "final activation layer of the network when trained with different subsets of classes.",
    source="seed 002 §3.4, Fig. 7",
    measure="effective rank of A_1 per seed; a (seed, subset) counts when it is below the all-digit network's",
    holds=f"share ≥ {SHARE_HOLDS}", partly=f"share ≥ {SHARE_PARTLY}")

NEURON_PAIRS = Criterion(
    claim="case III: last-layer neurons shared by digits 9/1/6, 1/7, 7/2, not by 0 and 3/8",
    quote="the Neurons in the final layer which were active when the input was digit 9 […] were also active when the "
          "input images were digits 1 and 6 […] the neurons which fire for 0 […] are different from the neurons which "
          "fire for digits: 3 and 8",
    source="seed 002 §3.5, Fig. 2",
    measure="cosine of the class-mean A_1 activations: mean over the pairs (9,1), (9,6), (1,7), (7,2) minus the mean "
            "over (0,3), (0,8), per seed",
    holds=f"difference ≥ {PAIR_MARGIN} {_SEEDS}", partly=f"difference ≥ {PAIR_MARGIN} {_SEEDS_PARTLY}")

UNDERUTILISED = Criterion(
    claim="case III: fewer neurons carry the rank-10 factors than in the shuffled network",
    quote="it becomes apparent that most of the network is not properly utilized in the case where we do not shuffle "
          "during training",
    source="seed 002 §3.5, Fig. 8",
    measure="participation of the rank-10 loadings O_0, O_1 (raw blocks): per factor (Σ o²)² / Σ o⁴ over the "
            "layer's neurons divided by their number, mean over factors and layers, per seed",
    holds=f"below the 100 % network's {_SEEDS}", partly=f"below {_SEEDS_PARTLY}")


def _reading(variant, measure):
    return Criterion(
        claim=f"the reading: poorer training, more compressible activations ({variant})",
        quote="the quality with which the network was trained: the poorer the training, the lower the rank",
        source="seed 002 §4 (conclusions), over cases I–III",
        measure=f"Spearman ρ between test accuracy and {measure} over the 8 trained networks of each seed",
        holds=f"mean ρ ≥ {READING_RHO_HOLDS} and ρ > 0 in every seed", partly=f"mean ρ ≥ {READING_RHO_PARTLY}")


READING = {
    "raw": _reading("raw RMSE", "the RMSE of eq. 1 (mean over ranks 10..50), raw blocks"),
    "normalised": _reading("normalised RMSE", "the RMSE of eq. 1 (mean over ranks), blocks at unit RMS"),
    "normalised A_0": _reading("normalised RMSE of the A_0 block", "the A_0 block's RMSE (mean over ranks), blocks "
                                                                     "at unit RMS, i.e. A_0's relative error"),
    "normalised A_1": _reading("normalised RMSE of the A_1 block", "the A_1 block's RMSE (mean over ranks), blocks "
                                                                     "at unit RMS, i.e. A_1's relative error"),
    "spectrum": _reading("effective rank of A_1", "the effective rank of A_1"),
}

ALL = (ACCURACY_I, ACCURACY_II, ACCURACY_III, RECOGNISES_9, *CASE_I_RMSE.values(), *CASE_II_RMSE.values(),
       *CASE_III_RMSE.values(), *CASE_I_SPECTRA.values(), CASE_II_SPECTRA, NEURON_PAIRS, UNDERUTILISED,
       *READING.values())
