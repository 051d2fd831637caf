"""Seed 003's claims as criteria, fixed before any number is seen (issue 13).

Explainability is measured by E (:func:`jaxprobe.analysis.explainability.class_contrast`): the
cosine of each class feature with what distinguishes its class among the training digits (its
class mean minus the mean of the class means), minus its mean cosine with the other classes'
patterns. The seed calls a feature explainable when there is "a visual similarity between each
feature and the corresponding class from the training data" (§3); E measures exactly that
similarity against a baseline of the wrong classes, so a pattern common to all features (ink in
the centre) counts for nothing. E ≈ 0 for features of an untrained network. The second measure,
the share of features that a ridge linear classifier of the digits (not the probed network)
assigns to their class, must agree with it (:data:`MEASURES_AGREE`).

A change of E counts when it is at least :data:`MARGIN` = 0.1, a tenth of the range E spans from
unrelated (0) to a feature equal to its class pattern (about 1).
"""

from __future__ import annotations

from jaxprobe.analysis.verdicts import Criterion

__all__ = ["MARGIN", "IDENTIFIED_HOLDS", "IDENTIFIED_PARTLY", "MUTUAL_RISE", "SHARE_HOLDS", "SHARE_PARTLY",
           "TRANSITION_ACCURACY", "TRANSITION_HOLDS", "TRANSITION_PARTLY", "AGREE_HOLDS", "AGREE_PARTLY",
           "ACCURACY", "FIG1_RESEMBLE", "FIG2_TRANSITION", "PHASES", "TRANSITION_AT_90", "SMALL_RESIST",
           "MEASURES_AGREE", "ALL"]

#: A change of E that counts.
MARGIN = 0.1
#: Share of the ten features the linear judge assigns to their class, for "holds" / "partly".
IDENTIFIED_HOLDS, IDENTIFIED_PARTLY = 0.9, 0.5
#: Rise of the mean mutual cosine between features that counts as "similar to each other".
MUTUAL_RISE = 0.2
#: Share of trajectories showing a phase (rise then fall) for "holds" / "partly" ("all results").
SHARE_HOLDS, SHARE_PARTLY = 0.9, 0.5
#: The seed's transition accuracy (%) and the distances from it for "holds" / "partly".
TRANSITION_ACCURACY, TRANSITION_HOLDS, TRANSITION_PARTLY = 90.0, 2.5, 5.0
#: Spearman correlation of the two explainability measures for "holds" / "partly".
AGREE_HOLDS, AGREE_PARTLY = 0.7, 0.4

ACCURACY = Criterion(
    claim="test accuracy of 784-128-10 after 1 and 10 epochs (%)",
    quote="Network trained with 1 epoch, 128 hidden neurons, 1 hidden layer, test accuracy: 85.88 […] "
          "(b) 10 epoch, test accuracy: 94.86",
    source="seed 003 Fig. 1, Fig. 2",
    measure="accuracy on the MNIST test digits after 1 and 10 epochs of GTP training, mean over seeds; judged "
            "only when trained on the 60,000 MNIST digits (otherwise not comparable)",
    holds="both within 1 point", partly="both within 3 points")

FIG1_RESEMBLE = Criterion(
    claim="each class feature resembles its class (784-128-10 at the seed's 85.88 %)",
    quote="There is a visual similarity between each feature and the corresponding class from the training data.",
    source="seed 003 §3, Fig. 1",
    measure="share of the ten GTP features that a ridge linear classifier of the training digits assigns to their "
            "own class, mean over seeds, at the snapshot whose test accuracy is nearest 85.88 %",
    holds=f"share ≥ {IDENTIFIED_HOLDS}", partly=f"share ≥ {IDENTIFIED_PARTLY}")

FIG2_TRANSITION = Criterion(
    claim="with more training, features grow alike and unlike the training data (784-128-10)",
    quote="As we increased performance, varying the learning rate, features were changed to a visually similar "
          "pattern each other but that differ from training data",
    source="seed 003 §3, Fig. 2",
    measure="from the snapshot nearest 85.88 % to the last (most accurate) one, mean over seeds: the rise of the "
            "mean cosine between features of different classes, and the fall of E",
    holds=f"mutual cosine rises by ≥ {MUTUAL_RISE} and E falls by ≥ {MARGIN}",
    partly="one of the two")

PHASES = Criterion(
    claim="E rises from random, then falls, along training (all architectures)",
    quote="All results show a consistent phenomena of training: the features go from random images to high "
          "explainable representations of the training data, and further to new images with almost no "
          "interpretability.",
    source="seed 003 §3.1, Fig. 3",
    measure="per architecture and seed, E along the snapshots: rise = peak − first, fall = peak − last; share of "
            "the GTP-trained trajectories with both ≥ the margin",
    holds=f"rise and fall ≥ {MARGIN} in ≥ {SHARE_HOLDS:.0%} of trajectories",
    partly=f"in ≥ {SHARE_PARTLY:.0%}")

TRANSITION_AT_90 = Criterion(
    claim="the fall of explainability comes past about 90 % test accuracy",
    quote="after about 90% performance, the neural network models change for high to low explainable features",
    source="seed 003 §3.1, Fig. 3",
    measure="per falling trajectory (fall ≥ the margin), the test accuracy at the first snapshot after the peak "
            "where E is at or below half-way from the peak to the last value; median over trajectories",
    holds=f"|median − {TRANSITION_ACCURACY:g}| ≤ {TRANSITION_HOLDS} points",
    partly=f"|median − {TRANSITION_ACCURACY:g}| ≤ {TRANSITION_PARTLY} points")

SMALL_RESIST = Criterion(
    claim="networks with few hidden units resist the transition",
    quote="Images 5, 6 suggests that low neurons number tend to resist more to phase transition phenomena.",
    source="seed 003 Appendix A, Fig. 5, 6",
    measure="fall of E from its peak to the last snapshot, mean over seeds and over the widths 8, 16 (small) and "
            "512, 1024 (large), at 1 and at 3 hidden layers",
    holds=f"small falls ≥ {MARGIN} less than large at both depths", partly="at one depth")

MEASURES_AGREE = Criterion(
    claim="a second explainability measure agrees with E",
    quote="Define explainability as a number […] justify the choice and show a second measure agrees",
    source="issue 13 (the measure, not a claim of the seed)",
    measure="Spearman correlation between E and the linear judge's identification share over every GTP feature "
            "set of the sweep (architectures × seeds × snapshots)",
    holds=f"ρ ≥ {AGREE_HOLDS}", partly=f"ρ ≥ {AGREE_PARTLY}", trained=False)

#: Every criterion, in the order of the report.
ALL = (ACCURACY, FIG1_RESEMBLE, FIG2_TRANSITION, PHASES, TRANSITION_AT_90, SMALL_RESIST, MEASURES_AGREE)
