"""Study: thesis Ch. 6 of seed 001 (Chen 2017): learning structured data vs memorising noise, and class collapse.

* :mod:`.protocol` — the 4-layer jump MLP, permuted labels, stacked-seed training to 100 % training accuracy with
  checks, snapshots and early stopping; the MNIST MLP of §6.4.2.
* :mod:`.views` — the labelled sets (true, permuted, shuffled labels; tracking subsets) and every measurement on
  them by name: stripe indices, class-mean heat maps, per-layer profiles, tracks through training, MNIST.
* :mod:`.measures` — per-layer profiles of the deviation (``jaxprobe.analysis.deviation``) and collapse
  (``jaxprobe.analysis.collapse``) measures, stripe index, t-SNE maps and neighbour agreement, seed separation.
* :mod:`.criteria` — every claim as a criterion, fixed before the numbers; :mod:`.claims` — the checks
  (numbers in, rows out, negative controls); :mod:`.figures` — Fig. 6.3–6.9, 6.12–6.14 and the collapse figures.
"""

from jaxprobe.studies.thesis_ch6 import claims, criteria, figures, measures, protocol, views

__all__ = ["claims", "criteria", "figures", "measures", "protocol", "views"]
