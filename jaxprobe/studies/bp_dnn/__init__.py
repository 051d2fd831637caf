"""Study: seed 000 (Xie & Lai, PRCV 2018), fp-DNN and bp-DNN read as encoder and decoder.

* :mod:`.protocol` — DNN-6, the Caffe solver, the snapshot plan, what is extracted per snapshot.
* :mod:`.measures` — the direct losses' gradient errors, cos(z_l, −õ_l), Fig. 8's boxes.
* :mod:`.criteria` — the seed's claims as criteria (quote, section, measure, thresholds), fixed
  before the numbers, with one bar for "discriminant".
* :mod:`.claims` — outcomes from numbers only, each claim beside its negative control.
* :mod:`.tables` — the report's tables and metrics.
* :mod:`.figures` — Figs. 4–8 and the cosine curve.
"""

from jaxprobe.studies.bp_dnn import claims, criteria, figures, measures, protocol, tables
from jaxprobe.studies.bp_dnn.figures import overlay_figure, reconstruction_figure
from jaxprobe.studies.bp_dnn.measures import direct_loss_gradient_errors, highlight_boxes

__all__ = [
    "claims",
    "criteria",
    "figures",
    "measures",
    "protocol",
    "tables",
    "direct_loss_gradient_errors",
    "highlight_boxes",
    "overlay_figure",
    "reconstruction_figure",
]
