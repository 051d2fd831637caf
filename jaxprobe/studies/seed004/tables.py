"""The seed-004 study's report tables and headline metrics, built from ``protocol.measure_network``
summaries of a trained network and its untrained control. Each table is ``(title, header, rows)``."""

from __future__ import annotations

import numpy as np

from jaxprobe.studies.seed004.claims import best_numbers, fmt_measure
from jaxprobe.studies.seed004.figures import METHOD_LABELS


def _ci(c: dict) -> str:
    return f"{c['estimate']:.3f} [{c['low']:.3f}, {c['high']:.3f}]"


def correlation_table(trained: dict, untrained: dict) -> tuple:
    rows = []
    for name, label in METHOD_LABELS.items():
        t, u = trained["correlations"][name], untrained["correlations"][name]
        rows.append([label, _ci(t["own"]), _ci(t["other"]), _ci(t["own_minus_other"]), t["pairs"], _ci(u["own"]),
                     _ci(u["own_minus_other"])])
    header = ["flow", "r own image (trained)", "r another image", "own − another", "(unit, image) pairs",
              "r own (untrained)", "own − another (untrained)"]
    return ("Pearson r of each flow with the image inside the unit's FOV, mean [95 % two-way bootstrap CI] over "
            "units × images where the unit is active", header, rows)


def filter_table(trained: dict, untrained: dict) -> tuple:
    rows = []
    for layer, f in trained["filters"].items():
        u = untrained["filters"][layer]
        rows.append([layer, f["fov_pixels"], _ci(f["r_image"]), _ci(f["abs_r_image"]), _ci(f["abs_r_gradient"]),
                     _ci(f["abs_r_oriented"]), "gradient" if f["gradient_minus_image"]["estimate"] > 0 else "image",
                     _ci(f["sign_change"]), _ci(f["dc"]),
                     "gradient" if u["gradient_minus_image"]["estimate"] > 0 else "image"])
    header = ["conv layer", "FOV pixels", "r(f, image)", "|r| image", "|r| ∇ magnitude", "|r| oriented ∂ (mean of 4)",
              "dominates", "sign changes", "|Σf| / Σ|f|", "dominates (untrained)"]
    return "Exact filters per depth against the image and its local gradients (inside the FOV)", header, rows


def best_table(trained: dict, untrained: dict) -> tuple:
    rows = []
    names = {"different_regions": "start pairs in different linear regions", "median_r_inputs": "median r(inputs found)",
             "r_input_own_filter": "r(input, exact filter at it)",
             "r_input_other_filter": "r(input, another start's filter)",
             "abs_r_top_images": "|r(input, top test images)|", "stopped": "starts stopped by the rule (fixed point or no improvement)",
             "iterations": "mean iterations", "value_over_best_test": "z(input found) / z(best test image)"}
    t, u = best_numbers(trained), best_numbers(untrained)
    for key, label in names.items():
        rows.append([label, fmt_measure(t[key]), fmt_measure(u[key])])
    return "Best input selection (§4): gradient ascent from random starts", ["measure", "trained", "untrained"], rows


def fraction_table(trained: dict, untrained: dict) -> tuple:
    rows = [[name, f"{f['mean_typical']:.3f}", f"{f['mean_set']:.3f}", f"{untrained['fractions'][name]['mean_set']:.3f}"]
            for name, f in trained["fractions"].items()]
    return ("Fig. 6: mean share of features active at a location", ["layer", "typical image", "test set",
                                                                    "test set (untrained)"], rows)


def purity_table(trained: dict, untrained: dict) -> tuple:
    rows = []
    for layer in trained["top"]:
        t, u = trained["top"][layer], untrained["top"][layer]
        rows.append([layer, f"{np.mean(t['purity']):.3f}", f"{np.mean(u['purity']):.3f}", f"{t['chance']:.3f}"])
    return ("Max-activating test images: share of a unit's top-k in its most common class",
            ["conv layer", "trained", "untrained", "chance"], rows)


def headline_metrics(trained: dict, untrained: dict) -> dict:
    """The numbers written to metrics.json (per network: correlations, filters, best inputs, Fig. 6)."""
    def one(m):
        return {
            "correlations": {k: v for k, v in m["correlations"].items()},
            "filters": {str(k): v for k, v in m["filters"].items()},
            "best_input": best_numbers(m),
            "fractions": {k: {"test_set": v["mean_set"], "typical": v["mean_typical"]} for k, v in m["fractions"].items()},
            "purity": {str(k): float(np.mean(v["purity"])) for k, v in m["top"].items()},
            "support": m["support"],
        }
    return {"trained": one(trained), "untrained": one(untrained)}


ALL_TABLES = (correlation_table, filter_table, best_table, purity_table, fraction_table)
