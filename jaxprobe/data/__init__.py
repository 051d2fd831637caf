"""Data: MNIST through a real IDX loader, and the thesis's jump-detection signals."""
