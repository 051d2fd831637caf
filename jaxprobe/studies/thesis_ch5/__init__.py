"""Study: thesis Ch. 5 and Fig. 7.1 of seed 001 (Chen 2017): visualisation of the jump networks by gradient ascent.

* :mod:`.protocol` — the jump study's MLPs and CNNs (trained, cached; untrained controls) and the thesis's
  ascent (uniform starts in [−0.05, 0.05], α = 10 on the softmax probability, stop at p > 0.999, a guard),
  both readings of §5.2 (forwarded conv signals; ascent on each conv layer with the network above fixed);
* :mod:`.measures` — the numbers behind the thesis's words: jump position and hits, dips, plateau,
  roughness, peak sharpness, undershoot, shape similarity (definitions in its docstring);
* :mod:`.signals` — Fig. 7.1's hand-made signals; :mod:`.mnist` — the regularisers of eq. 2.8 on MNIST;
* :mod:`.criteria` — every claim as a criterion, fixed before the numbers; :mod:`.claims` — the checks
  (numbers in, rows out, untrained controls); :mod:`.analyses` — the steps from networks to rows;
  :mod:`.figures`, :mod:`.tables` — Fig. 5.1–5.5, 7.1, the MNIST grid and the report's tables.
"""

from jaxprobe.studies.thesis_ch5 import analyses, claims, criteria, figures, measures, mnist, protocol, signals, tables

__all__ = ["analyses", "claims", "criteria", "figures", "measures", "mnist", "protocol", "signals", "tables"]
