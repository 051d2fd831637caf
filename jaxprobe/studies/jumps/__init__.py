"""Study: the jump-detection chapters of seed 001 (Chen 2017, Ch. 3–4).

One module per job:

* :mod:`~jaxprobe.studies.jumps.thesis` — the thesis's tables and claim titles;
* :mod:`~jaxprobe.studies.jumps.networks` — the networks by name (§3.3, §3.4, §4.2);
* :mod:`~jaxprobe.studies.jumps.baseline` — the signal-processing baseline (§3.2) and the
  calibration of the unstated noise σ on Table 3.1 alone;
* :mod:`~jaxprobe.studies.jumps.protocol` — training K seeds at once with early stopping, storing runs;
* :mod:`~jaxprobe.studies.jumps.errors` — L1 / L2 / 99-percentile errors and their spread;
* :mod:`~jaxprobe.studies.jumps.filters` — shape tests (smoothed-derivative template, filter signs);
* :mod:`~jaxprobe.studies.jumps.measures` — the numbers behind each claim, from trained runs;
* :mod:`~jaxprobe.studies.jumps.claims` — each claim as a function of numbers returning a row;
* :mod:`~jaxprobe.studies.jumps.figures`, :mod:`~jaxprobe.studies.jumps.sections` — figures,
  report text and tables.
"""

from jaxprobe.studies.jumps.errors import (ERROR_KEYS, bootstrap_error_std, error_histogram, error_stats,
                                           thesis_within, total_std)
from jaxprobe.studies.jumps.filters import best_template_correlation, derivative_template, sign_summary
from jaxprobe.studies.jumps.networks import LENGTH, N_CLASSES, jump_network
from jaxprobe.studies.jumps.protocol import (Budget, JumpRun, continue_seeds, run_arrays, run_from_arrays,
                                             steps_per_epoch, train_seeds)

__all__ = [
    "ERROR_KEYS", "LENGTH", "N_CLASSES", "Budget", "JumpRun", "best_template_correlation", "bootstrap_error_std",
    "continue_seeds", "derivative_template", "error_histogram", "error_stats", "jump_network", "run_arrays",
    "run_from_arrays", "sign_summary", "steps_per_epoch", "thesis_within", "total_std", "train_seeds",
]
