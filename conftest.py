"""Settings for every test session (tests/ and the doctests under jaxprobe/), read before JAX starts."""

import os

# The suite runs on one pytest-xdist worker per core (pyproject's addopts). On a GPU or TPU machine the
# workers share the accelerator, so each allocates what it uses instead of JAX's default 75 % of the
# device memory per process.
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
