"""Study: the Moore–Penrose embedding of seed 001 (Chen 2017, §4.3.4–§4.3.5, Figs 4.14 and 4.15).

* :mod:`.trials` — the thesis's grids (Fig. 4.14: p = 2:2:10, n = 2p..5p; Fig. 4.15: p = 2,
  n = 5..8, r = 0, 0.1, 0.2), the sweeps that fill them with the library's trial engine
  (``jaxprobe.moore_penrose``), the thesis's two quoted cells, curves as arrays.
* :mod:`.networks` — past the thesis: 100-p-60 bottleneck networks, the Moore–Penrose output
  layer as an initialisation, and the trial on a trained network's own hidden codes.
* :mod:`.claims` — every claim check as a function of numbers that returns rows.
* :mod:`.figures` — the four figures and their captions.
"""

from jaxprobe.studies.moore_penrose import claims, figures, networks, trials

__all__ = ["claims", "figures", "networks", "trials"]
