"""jaxprobe: probing what neural networks learn through their backward flows.

The core idea (see the README's architecture section): every probe of the seeds is a backward
flow, a signal sent down through the transposed Jacobians of a network's affine maps with a rule
applied at each nonlinearity. ``jaxprobe.models`` builds networks with a forward trace,
``jaxprobe.flows`` runs the flows, ``jaxprobe.rules`` holds the rules (by name, or your own
function); ``jaxprobe.anyflow`` runs the same flows on any JAX function (a flax module's
``apply``), through ``jaxprobe.interpret``. Around that core: ``probes`` (model-aware extraction), ``analysis`` (arrays in, numbers
out), ``data``, ``train``, ``parallel``, ``moore_penrose`` (the embedding trials), ``studies`` (one
module per reproduced paper) and ``report``.
"""

from jaxprobe import anyflow, interpret, rules
from jaxprobe.flows import (
    FlowResult,
    backward_flow,
    bp_dnn_targets,
    deconvnet,
    exact_filter,
    guided_backprop,
    guided_bp_dnn,
    neuron_flow,
    random_backward_params,
    run_flow,
    saliency,
)
from jaxprobe.losses import accuracy, bp_direct_loss, fp_direct_loss, softmax_cross_entropy
from jaxprobe.models import (
    Network,
    Stage,
    Trace,
    cnn1d,
    cnn2d,
    glorot_init,
    mlp,
    seed002_cnn,
    vgg_mnist,
)
from jaxprobe.analysis.factorization import CoupledNMF, coupled_nmf
from jaxprobe.interpret import with_rule
from jaxprobe.probes.layer_outputs import pooled_outputs
from jaxprobe.probes.target_propagation import class_features, target_propagation
from jaxprobe.rules import RULES

__version__ = "0.1.0"
