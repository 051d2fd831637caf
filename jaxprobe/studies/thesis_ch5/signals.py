"""Fig. 7.1's hand-made signals: not steps, but with their largest positive first difference at one position.

§7.2: signals that do not resemble the training data but have their maximum positive first derivative at
50 are all "predicted as jump location 50 correctly by a 2-layer MLP with confidence listed below each
graph". The thesis does not list its signals; these nine are ours, each noise-free and built around a
rise of ``height`` (3, the training jump θ) into ``position``.
"""

from __future__ import annotations

import numpy as np

from jaxprobe.studies.thesis_ch5.measures import jump_position

__all__ = ["handmade_signals"]


def handmade_signals(position: int = 50, height: float = 3.0, n: int = 100) -> dict[str, np.ndarray]:
    """Nine hand-made signals whose largest positive first difference is the rise into ``position``.

    Args:
      position: 1-based position of the first sample after the rise (50 in Fig. 7.1).
      height: the rise.
      n: signal length.

    Returns:
      ``{name: signal (n,)}``; every signal's :func:`~jaxprobe.studies.thesis_ch5.measures.jump_position`
      is ``position``.

    Raises:
      ValueError: ``position`` outside 12..n−10 (room for the shapes) or ``height`` ≤ 0.

    >>> s = handmade_signals()
    >>> len(s), sorted({int(jump_position(v)) for v in s.values()})
    (9, [50])
    """
    if not isinstance(position, (int, np.integer)) or not 12 <= position <= n - 10:
        raise ValueError(f"position must be an integer in 12..{n - 10}, got {position!r}.")
    if not height > 0:
        raise ValueError(f"height must be positive, got {height!r}.")
    i = np.arange(1, n + 1, dtype=np.float64)
    after = (i >= position).astype(np.float64)
    k = i - position
    out = {
        "spike (one sample)": height * (i == position),
        "pulse (5 samples)": height * ((i >= position) & (i < position + 5)),
        "rise, then decay": height * after * np.exp(-np.maximum(k, 0) / 8.0),
        "ramp with a jump": 0.02 * i + height * after,
        "sawtooth": -0.05 * (i - 1) + 0.05 * (position - 1) * after + height * after,
        "two steps (½ then 1)": 0.5 * height * (i >= position - 20) + height * after,
        "trough": -height * ((i >= position - 20) & (i < position)),
        "sine with a jump": 0.8 * np.sin(2 * np.pi * i / 25.0) + height * after,
        "falling stairs": -np.floor((i - 1) / 10.0) + height * after,
    }
    for name, signal in out.items():  # the shapes are built so; a changed shape must keep it
        assert int(jump_position(signal)) == position, name
    return out
