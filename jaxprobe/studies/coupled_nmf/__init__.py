"""Study: seed 002 (Saini & Papalexakis, KDD DL Day 2018), a CNN's inputs and activations through
a coupled non-negative factorisation.

* :mod:`.protocol` — the CNN, the case studies I–III and the untrained control, training, the
  blocks D_0, A_0, A_1, and what is measured on each network.
* :mod:`.criteria` — the seed's claims as criteria (quote, section, measure, thresholds).
* :mod:`.claims` — outcomes from numbers only, each beside the untrained-network control.
* :mod:`.figures` — Figs. 2–8 and accuracy against compressibility.

The factorisation itself is a library capability: :mod:`jaxprobe.analysis.factorization`.
"""

from jaxprobe.studies.coupled_nmf import claims, criteria, figures, protocol

__all__ = ["claims", "criteria", "figures", "protocol"]
