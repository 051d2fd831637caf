"""Seed 004's claims as criteria fixed before any number is seen, and the rows that judge them.

Every :class:`~jaxprobe.analysis.verdicts.Criterion` quotes the seed. :func:`evaluate` turns the
summaries of ``protocol.measure_network`` into rows ``{criterion, ours, seed, verdict, control,
control_verdict, note}`` (the arguments of ``Report.claim``). Where the seed credits training
("Extensive training of the VGG-16 network has automatically discovered this feature", "the code
that emerges"), the untrained network goes through the same criterion as a negative control and
:func:`~jaxprobe.analysis.verdicts.with_control` makes a claim that also holds there "not
discriminating".
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import numpy as np

from jaxprobe.analysis.verdicts import (DOES_NOT_HOLD, HOLDS, NOT_MEASURABLE, PARTLY, Criterion, at_least,
                                        at_most, with_control)
from jaxprobe.studies.seed004.measures import pair_values

SOURCE = "seed 004 (Palmieri et al. 2020)"

FOV_CONFINED = Criterion(
    "fov_confined", "All the activations are confined to the FOV tree of the chosen location.",
    f"{SOURCE} §3, Deconvnet",
    "largest share of any flow's mass Σ|·| outside the unit's FOV computed from the architecture (all methods, "
    "units, images); share of units whose exact-filter support, united over the images, spans the FOV's box",
    "mass outside ≤ 1e-6 and the support spans the FOV for ≥ 90 % of units", "mass outside ≤ 1e-6",
    trained=False)
DECONVNET_IMAGE = Criterion(
    "deconvnet_image_in_fov",
    "However a faded and stylized reconstruction appears anyhow in the image plane within the FOV",
    f"{SOURCE} §3, Fig. 4 col. 1",
    "Pearson r of the deconvnet map (eq. 4–5) with its own image inside the FOV, minus r with another image "
    "(pairs where the unit is active; two-way bootstrap 95 % CI over units and images)",
    "CI of r(own) − r(other) above 0 and mean r(own) ≥ 0.2", "CI of r(own) − r(other) above 0")
MASKS_CLEARER = Criterion(
    "masks_make_image_clearer",
    "Vestiges of the image appear more clearly as information makes it better through the \"holes\" determined "
    "by the forward activations.", f"{SOURCE} §3, Fig. 4 col. 2",
    "mean r(own image) of deconvnet with masks (eq. 6–7) minus that of deconvnet (eq. 4–5), inside the FOV",
    "the difference's CI lies above 0", "the difference is > 0")
RANDOM_MASKS = Criterion(
    "random_weights_with_masks_keep_image",
    "It is quite striking to see that an image in the FOV still appears confirming that the patterns of "
    "activations may be the most important means by which the image is coded in the network structure!",
    f"{SOURCE} §3, Fig. 4 col. 3",
    "r(own image) inside the FOV of masks + random weights matched in mean and variance (eq. 6–7, mean over "
    "draws) as a share of masks + trained weights; and against random weights without masks (control)",
    "share ≥ 0.5 and r(random + masks) ≥ 2 × max(r(random, no masks), 0) with the CI of their difference above 0",
    "one of the two")
FILTER_NOT_PATCH = Criterion(
    "exact_filter_not_an_image_patch",
    "the activated filter is nothing like an image patch, rather a very alternating pattern that seems to "
    "compute local statistics", f"{SOURCE} §3.1, Fig. 4 col. 4",
    "exact filters (eq. 8–9) of every channel at the centre of the last conv layer: mean r with the image inside "
    "the FOV (a matched filter gives r near 1) and the share of neighbouring pixel pairs of opposite sign "
    "(an image patch: 0, white noise: 0.5)",
    "mean r(filter, image) ≤ 0.3 and sign changes ≥ 0.3", "one of the two")
FILTER_GRADIENTS = Criterion(
    "exact_filter_computes_local_gradients",
    "the filter seems to be computing local gradients. Extensive training of the VGG-16 network has "
    "automatically discovered this feature to be relevant for classification.", f"{SOURCE} §3.1",
    "inside the FOV at the last conv layer: mean |r| of the exact filter with the image's gradient magnitude or "
    "its oriented derivatives (0°, 45°, 90°, 135°; whichever is larger) minus mean |r| with the image",
    "the difference's CI lies above 0", "the difference is > 0")
BEST_DIFFERENT = Criterion(
    "best_input_differs_by_start",
    "Every time the algorithm is started from a different random image, it converges to a different "
    "configuration.", f"{SOURCE} §4, eq. 10",
    "gradient ascent on z of one unit of the last conv layer from several uniform random images (pixels kept "
    "in [0, 1]): share of start pairs whose exact filters at the inputs found differ (r < 0.99 inside the FOV: "
    "different linear regions) and the median r between the inputs found",
    "≥ 90 % of pairs in different regions and median r(inputs) < 0.9", "≥ 50 % of pairs in different regions")
BEST_IS_FILTER = Criterion(
    "best_input_is_a_filter",
    "The pictures show clearly within the FOV of that neuron a filter that does not resemble the image at all, "
    "but a rather complex linear transformation. This should be seen as a different way of obtaining a filter "
    "as in Subsection 3.1 without reference to a specific image.", f"{SOURCE} §4, Fig. 5",
    "inside the FOV: mean r of each input found with the exact filter at that input, and mean |r| with the "
    "unit's max-activating test images",
    "r(input, its filter) ≥ 0.5 and |r(input, top images)| ≤ 0.2", "one of the two")
TOP_PURITY = Criterion(
    "deeper_units_match_larger_patterns",
    "The first layer seems to detect edges and elementary local configurations, while in the following stages "
    "progressive matching of the input space at larger scales is obtained.", f"{SOURCE} §2, Fig. 2",
    "share of each unit's top-k test images (max activation) in its most common class, first vs last conv layer "
    "(every channel at the map's centre); chance: k random test images",
    "last layer ≥ first + 0.1 and ≥ 2 × chance", "last layer > first")
FIG6_FIRST = Criterion(
    "fig6_first_layer_half_active",
    "In the first convolutional layer we see that about a half of the 64 features are activated.",
    f"{SOURCE} §5, Fig. 6",
    "mean share of the features active at a location, first conv layer, over the test images and for a "
    "typical one (the median image)", "both in [0.35, 0.65]", "one of them in [0.35, 0.65]")
FIG6_GROWS = Criterion(
    "fig6_grows_in_second_layer", "The number grows in the second convolutional layer",
    f"{SOURCE} §5, Fig. 6", "mean active share, second conv layer minus first (test set and typical image)",
    "> 0 for both", "> 0 for one")
FIG6_POOL = Criterion(
    "fig6_same_after_pooling", "and remains approximately the same in percentage after pooling",
    f"{SOURCE} §5, Fig. 6", "|mean active share after the first pooling − before it| over the test set",
    "≤ 0.1", "≤ 0.2")
FIG6_HALF = Criterion(
    "fig6_half_in_next_layer", "to return to about a half in the subsequent layer", f"{SOURCE} §5, Fig. 6",
    "mean active share of the conv layer after the first pooling, over the test set", "in [0.35, 0.65]",
    "in [0.25, 0.75]")
FIG6_SPARSE = Criterion(
    "fig6_sparser_towards_the_end",
    "After the second pooling we see that the fraction remains about the same with a tendency to go towards a "
    "sparse code towards the end.", f"{SOURCE} §5, Fig. 6",
    "mean active share of the last conv layer minus that of the conv layer after the first pooling (test set)",
    "≤ −0.05", "< 0")

CRITERIA = (FOV_CONFINED, DECONVNET_IMAGE, MASKS_CLEARER, RANDOM_MASKS, FILTER_NOT_PATCH, FILTER_GRADIENTS,
            BEST_DIFFERENT, BEST_IS_FILTER, TOP_PURITY, FIG6_FIRST, FIG6_GROWS, FIG6_POOL, FIG6_HALF, FIG6_SPARSE)


def _row(criterion, ours, seed, verdict, control=None, control_verdict=None, note="", dataset=""):
    if dataset:
        criterion = dataclasses.replace(criterion, claim=f"{criterion.claim} [{dataset}]")
    return {"criterion": criterion, "ours": ours, "seed": seed, "verdict": verdict, "control": control,
            "control_verdict": control_verdict, "note": note}


def _both(flags) -> str:
    flags = list(flags)
    return HOLDS if all(flags) else PARTLY if any(flags) else DOES_NOT_HOLD


def _fmt(ci: dict) -> str:
    return f"{ci['estimate']:.3f} [{ci['low']:.3f}, {ci['high']:.3f}]"


# ------------------------------------------------------------------ the judgements, one per claim
def judge_fov(m: dict) -> tuple:
    s = m["support"]
    outside = max(s["outside"].values())
    ok_mass = outside <= 1e-6
    verdict = (HOLDS if ok_mass and s["span_share"] >= 0.9 else PARTLY if ok_mass else DOES_NOT_HOLD)
    return verdict, f"mass outside ≤ {outside:.1e}; support spans the FOV for {100 * s['span_share']:.0f} % of " \
                    f"{s['units_with_support']} units"


def judge_deconvnet(m: dict) -> tuple:
    c = m["correlations"]["deconvnet"]
    above = c["own_minus_other"]["low"] > 0
    verdict = HOLDS if above and c["own"]["estimate"] >= 0.2 else PARTLY if above else DOES_NOT_HOLD
    if not np.isfinite(c["own"]["estimate"]):
        verdict = NOT_MEASURABLE
    return verdict, f"r(own) {_fmt(c['own'])}; r(other) {_fmt(c['other'])}; own − other {_fmt(c['own_minus_other'])}"


def judge_masks(m: dict) -> tuple:
    d = m["correlations"]["contrasts"]["masked_minus_deconvnet"]
    verdict = HOLDS if d["low"] > 0 else PARTLY if d["estimate"] > 0 else DOES_NOT_HOLD
    return verdict, f"r(masks) − r(deconvnet) = {_fmt(d)}"


def judge_random(m: dict) -> tuple:
    c = m["correlations"]
    share = c["contrasts"]["random_over_trained_masked"]
    diff = c["contrasts"]["random_masked_minus_unmasked"]
    r_rm, r_ru = c["random_masked"]["own"]["estimate"], c["random_unmasked"]["own"]["estimate"]
    keeps = share["estimate"] >= 0.5
    far = r_rm >= 2 * max(r_ru, 0.0) and diff["low"] > 0
    verdict = _both([keeps, far]) if np.isfinite(share["estimate"]) else NOT_MEASURABLE
    return verdict, (f"r(random + masks) {_fmt(c['random_masked']['own'])} = {_fmt(share)} of r(trained + masks) "
                     f"{_fmt(c['deconvnet_masked']['own'])}; random, no masks {_fmt(c['random_unmasked']['own'])}; "
                     f"difference {_fmt(diff)}")


def judge_not_patch(m: dict) -> tuple:
    f = m["filters"][m["last_layer"]]
    r, sc = f["r_image"]["estimate"], f["sign_change"]["estimate"]
    verdict = _both([at_most(r, holds=0.3) == HOLDS, at_least(sc, holds=0.3) == HOLDS])
    return verdict, f"r(filter, image) {_fmt(f['r_image'])}; sign changes {_fmt(f['sign_change'])}"


def judge_gradients(m: dict, layer=None) -> tuple:
    f = m["filters"][m["last_layer"] if layer is None else layer]
    d = f["gradient_minus_image"]
    verdict = HOLDS if d["low"] > 0 else PARTLY if d["estimate"] > 0 else DOES_NOT_HOLD
    return verdict, (f"|r| with gradient {f['gradient_kind']} "
                     f"{_fmt(f['abs_r_gradient'] if f['gradient_kind'] == 'magnitude' else f['abs_r_oriented'])} vs "
                     f"image {_fmt(f['abs_r_image'])}; difference {_fmt(d)}")


def defined_mean(values) -> Optional[float]:
    """The mean of the defined (finite) entries of ``values``; None (not measurable) when none is
    defined. A Pearson r is undefined (NaN from ``masked_pearson``) where a map is constant in the
    FOV, e.g. an all-zero exact filter of a unit whose paths are all switched off: such pairs are
    left out, never counted as 0 or as "not different".

    >>> defined_mean([0.5, float("nan"), 1.0]), defined_mean([float("nan")]), defined_mean([])
    (0.75, None, None)
    """
    v = np.asarray(values, np.float64).ravel()
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else None


def n_undefined(values) -> list:
    """[undefined entries, all entries] of ``values`` (NaN = undefined)."""
    v = np.asarray(values, np.float64).ravel()
    return [int(np.sum(~np.isfinite(v))), int(v.size)]


def best_numbers(m: dict) -> dict:
    """Best input selection (§4) as numbers; a measure with no defined entry is None (not
    measurable), and ``r_undefined`` counts [undefined, all] correlations per measure."""
    b = m["best"]
    filters_pairs = pair_values(b["pair_filters"])
    inputs_pairs = pair_values(b["pair_inputs"])
    own = np.concatenate([np.diag(t) for t in b["input_vs_filter"]])
    cross = pair_values(b["input_vs_filter"])
    res = b["result"]
    defined_pairs = filters_pairs[np.isfinite(filters_pairs)]
    inputs_defined = inputs_pairs[np.isfinite(inputs_pairs)]
    best_test = np.asarray(b["top_values"])[:, :1]
    ratio = np.where(best_test > 0, np.asarray(res.values) / np.where(best_test > 0, best_test, 1.0), np.nan)
    return {
        "different_regions": float(np.mean(defined_pairs < 0.99)) if defined_pairs.size else None,
        "median_r_inputs": float(np.median(inputs_defined)) if inputs_defined.size else None,
        "r_input_own_filter": defined_mean(own),
        "r_input_other_filter": defined_mean(cross),
        "abs_r_top_images": defined_mean(np.abs(b["r_reference"])),
        "stopped": float(np.mean(np.asarray(res.stopped))),
        "iterations": float(np.mean(np.asarray(res.iterations))),
        "value_over_best_test": defined_mean(ratio),
        "r_undefined": {"different_regions": n_undefined(filters_pairs), "median_r_inputs": n_undefined(inputs_pairs),
                        "r_input_own_filter": n_undefined(own), "r_input_other_filter": n_undefined(cross),
                        "abs_r_top_images": n_undefined(b["r_reference"]),
                        "value_over_best_test": n_undefined(ratio)},
    }


def fmt_measure(value, digits: int = 3) -> str:
    """A number with ``digits`` decimals, or "not measurable" for None.

    >>> fmt_measure(0.12345), fmt_measure(None)
    ('0.123', 'not measurable')
    """
    return NOT_MEASURABLE if value is None else f"{value:.{digits}f}"


def judge_best_different(m: dict) -> tuple:
    n = best_numbers(m)
    if n["different_regions"] is None:
        k, total = n["r_undefined"]["different_regions"]
        return NOT_MEASURABLE, ("fewer than two starts" if total == 0 else
                                f"no pair of starts has a defined filter correlation ({k} of {total} undefined: "
                                f"a filter constant in the FOV)")
    # inputs constant in every FOV leave r(inputs) undefined: that half cannot hold, at most "partly"
    inputs_differ = n["median_r_inputs"] is not None and n["median_r_inputs"] < 0.9
    verdict = (HOLDS if n["different_regions"] >= 0.9 and inputs_differ
               else PARTLY if n["different_regions"] >= 0.5 else DOES_NOT_HOLD)
    return verdict, (f"{100 * n['different_regions']:.0f} % of start pairs in different linear regions; median "
                     f"r(inputs) {fmt_measure(n['median_r_inputs'])}; {100 * n['stopped']:.0f} % of starts converged "
                     f"(fixed point or no improvement; mean {n['iterations']:.0f} iterations)")


def judge_best_filter(m: dict) -> tuple:
    n = best_numbers(m)
    own, top = n["r_input_own_filter"], n["abs_r_top_images"]
    verdict = NOT_MEASURABLE if own is None or top is None else _both([own >= 0.5, top <= 0.2])
    k, total = n["r_undefined"]["r_input_other_filter"]
    return verdict, (f"r(input, its filter) {fmt_measure(own)} (another start's filter "
                     f"{fmt_measure(n['r_input_other_filter'])}, {k} of {total} undefined); "
                     f"|r(input, top images)| {fmt_measure(top)}")


def judge_purity(m: dict) -> tuple:
    first, last = m["conv_layers"][0], m["last_layer"]
    p_first, p_last = float(np.mean(m["top"][first]["purity"])), float(np.mean(m["top"][last]["purity"]))
    chance = m["top"][last]["chance"]
    verdict = (HOLDS if p_last >= p_first + 0.1 and p_last >= 2 * chance else PARTLY if p_last > p_first
               else DOES_NOT_HOLD)
    return verdict, f"purity layer {first} {p_first:.3f}, layer {last} {p_last:.3f} (chance {chance:.3f})"


def _fractions(m: dict):
    convs = m["conv_layers"]
    f = m["fractions"]
    get = lambda name, key="mean_set": f[name][key] if name in f else float("nan")
    first_pool = next((c for c in convs if f"pool{c}" in f), None)
    after = [c for c in convs if first_pool is not None and c > first_pool]
    return convs, f, get, first_pool, (after[0] if after else None)


def judge_fig6(m: dict) -> list:
    convs, f, get, first_pool, after = _fractions(m)
    c1 = f"conv{convs[0]}"
    rows = []
    a, t = get(c1), get(c1, "mean_typical")
    inside = [0.35 <= v <= 0.65 for v in (a, t)]
    rows.append((FIG6_FIRST, _both(inside), f"test set {a:.3f}, typical image {t:.3f}"))
    if len(convs) < 2:
        rows.append((FIG6_GROWS, NOT_MEASURABLE, "one conv layer"))
    else:
        c2 = f"conv{convs[1]}"
        d_set, d_typ = get(c2) - a, get(c2, "mean_typical") - t
        rows.append((FIG6_GROWS, _both([d_set > 0, d_typ > 0]), f"test set {d_set:+.3f}, typical {d_typ:+.3f}"))
    if first_pool is None:
        rows.append((FIG6_POOL, NOT_MEASURABLE, "no pooling"))
    else:
        d = abs(get(f"pool{first_pool}") - get(f"conv{first_pool}"))
        rows.append((FIG6_POOL, at_most(d, holds=0.1, partly=0.2),
                     f"conv{first_pool} {get(f'conv{first_pool}'):.3f} → pool {get(f'pool{first_pool}'):.3f}"))
    if after is None:
        rows.append((FIG6_HALF, NOT_MEASURABLE, "no conv layer after a pooling"))
        rows.append((FIG6_SPARSE, NOT_MEASURABLE, "no conv layer after a pooling"))
    else:
        v = get(f"conv{after}")
        verdict = HOLDS if 0.35 <= v <= 0.65 else PARTLY if 0.25 <= v <= 0.75 else DOES_NOT_HOLD
        rows.append((FIG6_HALF, verdict, f"conv{after} {v:.3f}"))
        d = get(f"conv{convs[-1]}") - v
        verdict = at_most(d, holds=-0.05, partly=-1e-12) if convs[-1] != after else NOT_MEASURABLE
        rows.append((FIG6_SPARSE, verdict, f"conv{convs[-1]} − conv{after} = {d:+.3f}"))
    return rows


# ------------------------------------------------------------------ all rows
def evaluate(trained: dict, untrained: dict, dataset: str = "") -> list:
    """The claim rows for one data set: the trained network's numbers, with the untrained network's
    beside them; claims that credit training use it as a negative control (``with_control``)."""
    rows = []
    seeds = {
        FOV_CONFINED: "FOV tree of the chosen location (Fig. 3)",
        DECONVNET_IMAGE: "faded, stylized image within the FOV (by eye)",
        MASKS_CLEARER: "vestiges of the image appear more clearly (by eye)",
        RANDOM_MASKS: "an image in the FOV still appears (by eye)",
        FILTER_NOT_PATCH: "nothing like an image patch; very alternating (by eye)",
        FILTER_GRADIENTS: "seems to compute local gradients (by eye)",
        BEST_DIFFERENT: "a different configuration per start (3 runs, Fig. 5)",
        BEST_IS_FILTER: "a filter, not the image (by eye)",
        TOP_PURITY: "larger-scale matching in later layers (by eye, Fig. 2)",
    }
    judges = {FOV_CONFINED: judge_fov, DECONVNET_IMAGE: judge_deconvnet, MASKS_CLEARER: judge_masks,
              RANDOM_MASKS: judge_random, FILTER_NOT_PATCH: judge_not_patch, FILTER_GRADIENTS: judge_gradients,
              BEST_DIFFERENT: judge_best_different, BEST_IS_FILTER: judge_best_filter, TOP_PURITY: judge_purity}
    credits_training = {FILTER_NOT_PATCH, FILTER_GRADIENTS, TOP_PURITY}
    for criterion, judge in judges.items():
        verdict, ours = judge(trained)
        c_verdict, c_ours = judge(untrained)
        if criterion in credits_training:
            rows.append(_row(criterion, ours, seeds[criterion], with_control(verdict, c_verdict), c_ours, c_verdict,
                             note="control: the untrained network", dataset=dataset))
        else:
            rows.append(_row(criterion, ours, seeds[criterion], verdict, c_ours, c_verdict,
                             note="untrained network shown beside (not a control for this claim)", dataset=dataset))
    fig6_seed = {FIG6_FIRST: "about a half of 64", FIG6_GROWS: "grows", FIG6_POOL: "about the same",
                 FIG6_HALF: "about a half", FIG6_SPARSE: "tendency towards a sparse code"}
    controls = {c.claim: (v, o) for c, v, o in judge_fig6(untrained)}
    for criterion, verdict, ours in judge_fig6(trained):
        c_verdict, c_ours = controls[criterion.claim]
        final = with_control(verdict, c_verdict) if verdict != NOT_MEASURABLE else verdict
        rows.append(_row(criterion, ours, fig6_seed[criterion], final, c_ours, c_verdict,
                         note="control: the untrained network", dataset=dataset))
    return rows
