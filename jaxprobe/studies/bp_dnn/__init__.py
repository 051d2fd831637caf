"""Study: seed 000 (Xie & Lai, PRCV 2018), fp-DNN and bp-DNN read as encoder and decoder.

* :mod:`.protocol` — DNN-6, the Caffe solver, the snapshot plan, what is extracted per snapshot.
* :mod:`.measures` — the direct losses' gradient errors, cos(z_l, −õ_l), Fig. 8's boxes.
* :mod:`.claims` — the seed's claims of §4.1–4.2, each a function from numbers to a row.
* :mod:`.figures` — Figs. 4–8 and the cosine curve.
"""

from jaxprobe.studies.bp_dnn import claims, figures, measures, protocol
from jaxprobe.studies.bp_dnn.figures import overlay_figure, reconstruction_figure
from jaxprobe.studies.bp_dnn.measures import direct_loss_gradient_errors, highlight_boxes

__all__ = [
    "claims",
    "figures",
    "measures",
    "protocol",
    "direct_loss_gradient_errors",
    "highlight_boxes",
    "overlay_figure",
    "reconstruction_figure",
]
