"""Arrays in, numbers out: measures that never import a model.

``discriminance`` (k-NN accuracy, silhouette), ``activations`` (class means, active fractions, dead
units), ``similarity`` (per-example cosine and correlation), ``stats`` (spreads, binomial intervals),
``verdicts`` (claim criteria and their outcomes), ``tsne`` (openTSNE embeddings and their figures),
``deviation`` (inner/inter-class deviation, thesis §6.4), ``collapse`` (NC1, CDNV), ``factorization``
(coupled NMF, seed 002), ``explainability`` (class features, seed 003).
"""
