"""Arrays in, numbers out: measures that never import a model.

``discriminance`` (k-NN accuracy, silhouette), ``activations`` (class means, active fractions, dead
units), ``similarity`` (per-example cosine and correlation), ``stats`` (spreads, binomial intervals),
``verdicts`` (claim criteria and their outcomes), ``tsne`` (openTSNE embeddings and their figures).
"""
