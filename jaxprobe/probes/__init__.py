"""Model-aware extraction built on traces and flows: activations and features per layer."""
