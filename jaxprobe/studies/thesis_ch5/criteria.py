"""Thesis Ch. 5 and Fig. 7.1 as criteria, fixed before any number is seen (digest §5, §7, §9 claims 30–34).

The thesis prints no number for any Ch. 5 figure; each threshold below turns one of its words into a bar,
stated once here (the measures are defined in :mod:`.measures`):

* "a discontinuity at the target": the jump position lies within :data:`TOLERANCE` of the target in at
  least :data:`HITS` of the synthesised inputs (partly: :data:`HITS_PARTLY`); "not recognisable": at most
  :data:`HITS_PARTLY`;
* "drops first" / "drops to a level": dip before / drop after ≥ :data:`DIP_PRESENT` of the jump; "no drop":
  ≤ :data:`DIP_ABSENT`. A dip is only judged at a target whose jump is recognisable (hit share ≥ ½);
* "not the plateau": plateau ≤ :data:`PLATEAU`; "slightly higher than before": plateau > 0;
* "noisier": a larger seed-median roughness; "sharper": a larger seed-median peak sharpness;
* "almost the same shape" / "no significant difference": absolute correlation ≥ :data:`SAME_SHAPE`;
* "a bit under the base level": undershoot in [:data:`UNDERSHOOT_LOW`, :data:`UNDERSHOOT_HIGH`];
* "with 99.9 %": the share of starts that reach p > 0.999 before the iteration guard ≥ :data:`REACHED`;
* Fig. 7.1's "predicted as jump location 50": argmax position = 50 for at least :data:`HITS` of the
  (signal, seed) pairs;
* regularisers "change the result" (issue 12, MNIST): median relative distance to the unregularised input
  from the same start ≥ :data:`CHANGED`.

A claim about trained networks is judged on the same synthesis on untrained networks too (the negative
control, named in each criterion's measure); a claim that holds on the control as well is "not
discriminating" (``jaxprobe.analysis.verdicts.with_control``).
"""

from __future__ import annotations

from jaxprobe.analysis.verdicts import Criterion

__all__ = ["TOLERANCE", "HITS", "HITS_PARTLY", "DIP_PRESENT", "DIP_ABSENT", "PLATEAU", "SAME_SHAPE", "UNDERSHOOT_LOW",
           "UNDERSHOOT_HIGH", "REACHED", "REACHED_PARTLY", "CHANGED", "SHARPER", "RANK", "PEAK_TOLERANCE",
           "JUMP_MLP1", "JUMP_MLPS", "DIPS", "NO_PLATEAU", "NOISIER", "CLEARER", "MLP4_HIDDEN", "REACHES", "JUMP_CNN",
           "SHARPER_FORWARD", "SHARPER_DIRECT", "CNN1_UNDERSHOOT", "FIRST_SAME", "THIRD_SAME", "FIG7_1",
           "REGULARISERS", "ALL"]

TOLERANCE = 1
HITS, HITS_PARTLY = 0.9, 0.5
DIP_PRESENT, DIP_ABSENT = 0.2, 0.1
PLATEAU = 0.5
SAME_SHAPE = 0.9
UNDERSHOOT_LOW, UNDERSHOOT_HIGH = 0.01, 0.5
REACHED, REACHED_PARTLY = 0.99, 0.9
CHANGED = 0.1
#: share of layer pairs (l < m) with layer m sharper, pooled over the CNNs.
SHARPER = 0.8
#: Spearman correlation of test error and roughness over the four MLPs.
RANK = 0.8
#: peak of the first conv layer's signal within this many samples of 50.
PEAK_TOLERANCE = 3

_CONTROL = "; control: the same synthesis on untrained networks (Glorot-uniform, same starts)"

JUMP_MLP1 = Criterion(
    claim="Fig. 5.1: a jump at the target position (1-layer NN)",
    quote="discontinuities appear at the target positions (1-layer NN, jump positions 21, 40, 60, 80 maximised)",
    source="thesis §5.1, Fig. 5.1",
    measure=f"share of synthesised inputs (all starts, seeds and the four targets) whose jump position is within "
            f"±{TOLERANCE} of the target" + _CONTROL,
    holds=f"≥ {HITS}", partly=f"≥ {HITS_PARTLY}")
JUMP_MLPS = Criterion(
    claim="Fig. 5.2: a jump at the target position (2–4-layer MLPs)",
    quote="Fig. 5.2: 1–4-layer MLPs, one row per model … In the 4-layer MLP, for positions 21 and 40, \"the "
          "discontinuity is not even recognizable\"",
    source="thesis §5.1, Fig. 5.2",
    measure=f"share of synthesised inputs of the 2-, 3- and 4-layer MLPs with the jump within ±{TOLERANCE} of the "
            f"target, leaving out the 4-layer MLP at 21 and 40 (judged by its own row)" + _CONTROL,
    holds=f"≥ {HITS}", partly=f"≥ {HITS_PARTLY}")
DIPS = Criterion(
    claim="Fig. 5.1: a dip before and after the jump at 40 and 60, none outside at 21 and 80",
    quote="the signal drops first, then followed with a sharp sudden jump, finally it drops to a level slightly "
          "higher than before. There are two peak values in each signal … only one peak (21: no drop before; 80: no "
          "drop after)",
    source="thesis §5.1, Fig. 5.1",
    measure="1-layer NN, median over starts and seeds of the dip before and the drop after the jump (fractions of "
            "the jump height, w = 10); six checks: dip before and drop after at 40 and at 60 present, dip before at "
            "21 and drop after at 80 absent; a check fails at a target whose jump is hit in under half the starts"
            + _CONTROL,
    holds=f"all six checks (present ≥ {DIP_PRESENT}, absent ≤ {DIP_ABSENT})", partly="at least three")
NO_PLATEAU = Criterion(
    claim="§5.3: a jump but no plateau after it; the level after is slightly higher",
    quote="the generated inputs show a jump but \"not the plateau afterwards\" … finally it drops to a level "
          "slightly higher than before",
    source="thesis §5.3, §5.1",
    measure="plateau (later level − earlier level, over the jump height; 1 for the training signals' step), "
            "median over starts and seeds, at every (MLP, target) and (CNN, 50); a cell whose jump is hit in under "
            "half the starts fails" + _CONTROL,
    holds=f"0 < plateau ≤ {PLATEAU} in ≥ {HITS} of the cells", partly=f"in ≥ {HITS_PARTLY} of them")
NOISIER = Criterion(
    claim="Fig. 5.2: deeper MLPs give noisier inputs",
    quote="Deeper models give noisier inputs",
    source="thesis §5.1, Fig. 5.2",
    measure="roughness (total variation without the jump's differences, over the signal's range), median over "
            "starts, targets and seeds, compared between consecutive depths 1→2, 2→3, 3→4" + _CONTROL,
    holds="rougher at every deeper step", partly="at two of the three")
CLEARER = Criterion(
    claim="§5.1: lower-error models give clearer generated signals",
    quote="Lower-error models give clearer generated signals",
    source="thesis §5.1 (errors: Table 3.3)",
    measure="Spearman correlation over the four MLPs between the test L1 error (seed mean) and the roughness "
            "(median); no control (an untrained network has no error ranking)",
    holds=f"≥ {RANK}", partly="> 0")
MLP4_HIDDEN = Criterion(
    claim="Fig. 5.2(m): 4-layer MLP at 21 and 40: jump not recognisable, yet p > 0.999",
    quote="for positions 21 and 40, \"the discontinuity is not even recognizable\", yet the inputs are still "
          "classified with 99.9% confidence",
    source="thesis §5.1, Fig. 5.2",
    measure=f"4-layer MLP: hit share at 21 and at 40 (≤ {HITS_PARTLY}: not recognisable), and the share of its "
            f"starts that reach p > 0.999 (≥ {REACHED}): three checks" + _CONTROL,
    holds="all three checks", partly="two of three")
REACHES = Criterion(
    claim="§5: the ascent reaches p > 0.999 (iterations to 0.999)",
    quote="stop \"when the activation level of an output neuron is over 0.999\" (no iteration count given)",
    source="thesis §5",
    measure="share of all starts (every MLP target, CNNs at 50, every seed) that reach p > 0.999 before the "
            "iteration guard; the untrained networks' share is shown beside it, not judged (reaching the "
            "threshold is not a claim about training)",
    holds=f"≥ {REACHED}", partly=f"≥ {REACHED_PARTLY}")
JUMP_CNN = Criterion(
    claim="Fig. 5.3–5.5: the CNNs' inputs jump at 50",
    quote="The input is generated … Activation maximized for jump position at 50",
    source="thesis §5.2, Fig. 5.3–5.5",
    measure=f"share of synthesised inputs of the 1-, 2-, 3-conv CNNs (starts that reached 0.999 or not, every "
            f"seed) with the jump within ±{TOLERANCE} of 50" + _CONTROL,
    holds=f"≥ {HITS}", partly=f"≥ {HITS_PARTLY}")
_SHARP = ("share of layer pairs (l < m; layer 0 = the input) whose deeper layer has the larger peak sharpness "
          "(1 / width at half height above the median; median over seeds and starts, every start), pooled over the 1-, 2- "
          "and 3-conv CNNs")
SHARPER_FORWARD = Criterion(
    claim="Fig. 5.4–5.5: sharper peaks in layers closer to the output (reading 1: forwarded input)",
    quote="The generated signals has sharper peaks in deeper layers that are closer to the final output.",
    source="thesis §5.2, Fig. 5.4, 5.5",
    measure=_SHARP + "; signals: the synthesised input forwarded through the conv layers" + _CONTROL,
    holds=f"≥ {SHARPER}", partly="≥ 0.5")
SHARPER_DIRECT = Criterion(
    claim="Fig. 5.4–5.5: sharper peaks in layers closer to the output (reading 2: ascent on each layer)",
    quote="as the (intermediate layer) input we aim to generate has more layers to be separated by from the "
          "output layer",
    source="thesis §5.2 (the digest's second reading)",
    measure=_SHARP + "; signals: ascent directly on each conv layer's activation with the network above it fixed "
                     "(same starts, α, threshold)" + _CONTROL,
    holds=f"≥ {SHARPER}", partly="≥ 0.5")
CNN1_UNDERSHOOT = Criterion(
    claim="Fig. 5.3: after the conv layer the signal peaks at 50, then dips a bit under the base level",
    quote="After the conv layer the signal peaks, then \"drops down to a bit under the base level, then raises back\"",
    source="thesis §5.2, Fig. 5.3",
    measure=f"1-conv CNN, conv signal of the synthesised input: median peak position (within ±{PEAK_TOLERANCE} of "
            f"50) and median undershoot (below the median within 10 samples after the peak, over the peak height); "
            f"two checks" + _CONTROL,
    holds=f"both (undershoot in [{UNDERSHOOT_LOW}, {UNDERSHOOT_HIGH}])", partly="one")
FIRST_SAME = Criterion(
    claim="Fig. 5.4–5.5: input and first conv signal have almost the same shape",
    quote="The input and the first-layer signal have almost the same shape, because the first layer only "
          "increases the gap",
    source="thesis §5.2, Fig. 5.4, 5.5",
    measure="absolute correlation between the synthesised input and its first conv signal, median over starts and seeds, "
            "for the 2- and 3-conv CNNs" + _CONTROL,
    holds=f"≥ {SAME_SHAPE} for both", partly="for one")
THIRD_SAME = Criterion(
    claim="Fig. 5.5: no significant difference before and after the third conv layer",
    quote="In the 3-conv model there is no significant difference before and after the third layer",
    source="thesis §5.2, Fig. 5.5",
    measure="3-conv CNN: absolute correlation between the second and third conv signals of the synthesised input, "
            "median over starts and seeds" + _CONTROL,
    holds=f"≥ {SAME_SHAPE}", partly="≥ 0.7")
FIG7_1 = Criterion(
    claim="Fig. 7.1: hand-made signals with the largest rise at 50 are classified as 50",
    quote="All are \"predicted as jump location 50 correctly by a 2-layer MLP with confidence listed below each "
          "graph\"",
    source="thesis §7.2, Fig. 7.1",
    measure="share of (signal, seed) pairs of nine noise-free hand-made signals (none a step; largest positive "
            "first difference into 50) whose predicted position is 50; confidences = p(50)" + _CONTROL,
    holds=f"≥ {HITS}", partly=f"≥ {HITS_PARTLY}")
REGULARISERS = Criterion(
    claim="MNIST: the optional regularisers change the synthesised input",
    quote="Regularised version: x ← r_θ(x + α ∂a_i(x)/∂x) (L2 decay, Gaussian blur, clipping …); the thesis's "
          "own ascent uses none",
    source="thesis eq. 2.8 (§2); issue 12",
    measure="median over digits and starts of ‖x_r − x‖ / ‖x‖, the regularised input against the unregularised one "
            "from the same start, for every regulariser; control: the identity regulariser (L2 decay of rate 0)",
    holds=f"≥ {CHANGED} for every regulariser", partly="for at least half")

ALL = (JUMP_MLP1, JUMP_MLPS, DIPS, NO_PLATEAU, NOISIER, CLEARER, MLP4_HIDDEN, REACHES, JUMP_CNN, SHARPER_FORWARD,
       SHARPER_DIRECT, CNN1_UNDERSHOOT, FIRST_SAME, THIRD_SAME, FIG7_1, REGULARISERS)
