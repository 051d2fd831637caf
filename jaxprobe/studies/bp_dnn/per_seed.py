"""Everything seed 000's study measures on one trained DNN-6 (one seed), numbers out, no verdicts.

Every seed of a run is measured on the same digits (:class:`ProbeDigits`): the balanced probe set
for z_l and õ_l (eq. 2–4), the random digits of the input-space maps (eq. 3, 9, 11) and the batch
of the direct-loss check (eq. 6–10). What varies between seeds is the network: its initial weights
and its minibatch order. :func:`measure_seed` returns the claims' :class:`~.claims.Measurements`
(the iteration-0 network of the same seed as its untrained control) and the arrays the figures
and tables of that seed need.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, NamedTuple, Sequence

import numpy as np

from jaxprobe.models import Network
from jaxprobe.probes.activations import encoder_decoder_features
from jaxprobe.studies.bp_dnn import claims, measures, protocol, tables

__all__ = ["ProbeDigits", "SeedRun", "measure_seed", "seed_metrics", "worst_gradient_error"]


@dataclass(frozen=True)
class ProbeDigits:
    """The digits every seed is measured on.

    Args:
      probe_x, probe_y: the balanced probe set of z_l and õ_l (Figs. 4–6).
      maps_x, maps_y: random test digits of the input-space maps (Figs. 7–8).
      check_x, check_y: the batch of the direct-loss gradient check.
      test_x, test_y: the test set of the accuracy.
      n_train: training digits; test_desc: what the test set is, in words.
    """

    probe_x: Any
    probe_y: Any
    maps_x: Any
    maps_y: Any
    check_x: Any
    check_y: Any
    test_x: Any
    test_y: Any
    n_train: int
    test_desc: str


class SeedRun(NamedTuple):
    """One seed's numbers: ``measurements`` for the claims, the rest for its figures and tables."""

    measurements: claims.Measurements
    features: dict  # {step: encoder_decoder_features}
    disc: dict  # {(kind, l, step): (knn, silhouette)}
    disc_shuffled: dict
    cos_curve: dict  # {step: [mean cos(z_l, −õ_l)]}
    maps: dict  # protocol.input_space_maps of the trained network
    scores: dict  # measures.reconstruction_scores of the trained network
    scores_untrained: dict
    errors: list  # measures.direct_loss_gradient_errors, true labels
    errors_wrong: list  # the same with wrong labels


def worst_gradient_error(errors: Sequence[Mapping[str, float]]) -> float:
    """The largest relative error of any direct-loss gradient over the layers.

    >>> worst_gradient_error([{"fp_kernel": 1e-7, "fp_bias": 2e-7, "bp_kernel": 0.0}])
    2e-07
    """
    return max(max(e["fp_kernel"], e["fp_bias"], e["bp_kernel"]) for e in errors)


def measure_seed(model: Network, snapshots: Mapping[int, Any], digits: ProbeDigits, *, steps: int,
                 fig5_steps: Sequence[int], shuffle_seed: int, k: int = protocol.KNN_NEIGHBOURS,
                 seed_accuracy: float = protocol.SEED_ACCURACY) -> SeedRun:
    """Every number of the study on one seed's snapshots (iteration 0 is its untrained control).

    Args:
      model: DNN-6 (``protocol.dnn6``).
      snapshots: ``{step: params}`` of this seed, holding 0, ``fig5_steps`` and ``steps``.
      digits: the digits every seed is measured on.
      steps: the last iteration; fig5_steps: Fig. 5's iterations.
      shuffle_seed: seed of the label permutation of the label-shuffled control.
      k: neighbours of the k-NN measure; seed_accuracy: the seed's test accuracy (%).

    Returns:
      A :class:`SeedRun`.

    Raises:
      KeyError: a snapshot the study needs is missing.
    """
    d = digits
    missing = sorted({0, steps, *fig5_steps} - set(snapshots))
    if missing:
        raise KeyError(f"snapshots: iterations {missing} are missing; train with snapshot_steps holding them.")
    final, untrained = snapshots[steps], snapshots[0]
    s100 = min(100, steps)
    acc, acc0 = (protocol.test_accuracy(model, p, d.test_x, d.test_y) for p in (final, untrained))
    feats = {s: encoder_decoder_features(model, snapshots[s], d.probe_x, d.probe_y) for s in snapshots}
    disc = protocol.discriminance_by_snapshot(model, snapshots, feats, d.probe_x, d.probe_y, k=k)
    disc_shuffled = protocol.label_shuffled_discriminance(model, snapshots, (0, s100), d.probe_x, d.probe_y,
                                                          seed=shuffle_seed, k=k)
    maps, maps0 = (protocol.input_space_maps(model, p, d.maps_x, d.maps_y) for p in (final, untrained))
    scores, scores0 = measures.reconstruction_scores(maps, d.maps_x), measures.reconstruction_scores(maps0, d.maps_x)
    errs = measures.direct_loss_gradient_errors(model, final, d.check_x, d.check_y)
    errs_wrong = measures.direct_loss_gradient_errors(model, final, d.check_x, d.check_y,
                                                      target_labels=(np.asarray(d.check_y) + 1) % model.n_classes)
    cos_curve = {s: measures.cosine_to_targets(feats[s]) for s in sorted(snapshots)}
    on_ink, on_ink0 = (measures.box_centres_on_ink(d.maps_x, m["guided"], n_boxes=2) for m in (maps, maps0))
    m = claims.Measurements(
        steps=steps, fig5_steps=tuple(fig5_steps), disc=disc, disc_shuffled=disc_shuffled, accuracy=acc,
        accuracy_untrained=acc0, n_train=d.n_train, n_test=len(d.test_y), test_desc=d.test_desc,
        gradient_error=worst_gradient_error(errs), gradient_error_wrong_targets=worst_gradient_error(errs_wrong),
        cos_curve=cos_curve, paired=scores["paired"], paired_untrained=scores0["paired"], mean_r=scores["mean_r"],
        mean_r_untrained=scores0["mean_r"], guided_vs_guided_backprop=scores["guided_vs_guided_backprop"],
        on_ink=on_ink, on_ink_untrained=on_ink0, near_ink=measures.near_ink_area(d.maps_x), n_maps=len(d.maps_y),
        seed_accuracy=seed_accuracy, n_hidden=model.n_layers - 1,
        r={n: scores["r"][n] for n in ("guided", "bp")}, r_untrained={n: scores0["r"][n] for n in ("guided", "bp")})
    return SeedRun(m, feats, disc, disc_shuffled, cos_curve, maps, scores, scores0, errs, errs_wrong)


def seed_metrics(run: SeedRun) -> dict[str, float]:
    """The scalar metrics of one seed, under the names metrics.json has always used.

    ``test_accuracy`` (fraction), discriminance, cosine, reconstruction and control metrics
    (``tables``), the direct losses' worst errors and Fig. 8's box shares.
    """
    m = run.measurements
    return {"test_accuracy": m.accuracy / 100, "test_accuracy_untrained": m.accuracy_untrained / 100,
            **tables.discriminance_metrics(run.disc), **tables.cosine_metrics(run.cos_curve),
            **tables.reconstruction_metrics(run.scores), **tables.control_metrics(run.disc_shuffled,
                                                                                  run.scores_untrained),
            "direct_loss_max_relative_error": m.gradient_error,
            "direct_loss_max_relative_error_wrong_targets": m.gradient_error_wrong_targets,
            "fig8_box_centres_on_ink": m.on_ink, "fig8_box_centres_on_ink_untrained": m.on_ink_untrained}
