"""Claim criteria and their verdicts: declared before the numbers, computed from numbers only.

A study declares each claim of its seed as a :class:`Criterion` (the seed's words, where they are,
what is measured, the thresholds of each outcome) and turns a measurement into an outcome with one
of the small pure functions below. Every function can return every outcome it names, so no verdict
is stuck; negative controls (an untrained network, shuffled labels, random weights) go through the
same criterion, and :func:`with_control` reports a claim whose control also holds as
"not discriminating".

>>> at_least(0.93, holds=0.9, partly=0.5)
'holds'
>>> at_least(0.2, holds=0.9, partly=0.5)
'does not hold'
>>> with_control("holds", control="holds")
'not discriminating'
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, NamedTuple, Optional, Sequence

HOLDS = "holds"
PARTLY = "partly"
DOES_NOT_HOLD = "does not hold"
NOT_DISCRIMINATING = "not discriminating"
NOT_MEASURABLE = "not measurable"
NOT_COMPARABLE = "not comparable"
NOT_APPLICABLE = "n/a"

#: Every outcome a claim row may carry, in the order of the summary tables.
VERDICTS = (HOLDS, PARTLY, DOES_NOT_HOLD, NOT_DISCRIMINATING, NOT_MEASURABLE, NOT_COMPARABLE,
            NOT_APPLICABLE)
#: Outcomes that judge a claim (the others say why it could not be judged).
JUDGED = (HOLDS, PARTLY, DOES_NOT_HOLD, NOT_DISCRIMINATING)


@dataclass(frozen=True)
class Criterion:
    """One claim of a seed, fixed before any number is seen.

    Args:
      claim: a short name, unique within the study (``"fig5_bp_grows"``).
      quote: the seed's own words, quoted.
      source: where they are (``"seed 000 §4.1, Fig. 5"``).
      measure: what is measured, in words.
      holds: the rule for "holds", in words (``"k-NN ≥ 0.9"``).
      partly: the rule for "partly" (empty when the claim has no partial outcome).
      trained: whether the claim concerns trained networks (quick runs mark it a smoke test).
    """

    claim: str
    quote: str
    source: str
    measure: str
    holds: str
    partly: str = ""
    trained: bool = True

    def rule(self) -> str:
        """The thresholds as one line: holds / partly / otherwise does not hold."""
        parts = [f"holds if {self.holds}"]
        if self.partly:
            parts.append(f"partly if {self.partly}")
        parts.append("otherwise does not hold")
        return "; ".join(parts)


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def at_least(value: Optional[float], *, holds: float, partly: Optional[float] = None) -> str:
    """"holds" when ``value ≥ holds``, "partly" when ``value ≥ partly``, else "does not hold".

    A missing or NaN value is "not measurable".

    >>> at_least(0.6, holds=0.9, partly=0.5), at_least(float('nan'), holds=0.9)
    ('partly', 'not measurable')
    """
    if _is_missing(value):
        return NOT_MEASURABLE
    if partly is not None and partly > holds:
        raise ValueError(f"partly={partly} must not exceed holds={holds} for at_least.")
    if value >= holds:
        return HOLDS
    if partly is not None and value >= partly:
        return PARTLY
    return DOES_NOT_HOLD


def at_most(value: Optional[float], *, holds: float, partly: Optional[float] = None) -> str:
    """"holds" when ``value ≤ holds``, "partly" when ``value ≤ partly``, else "does not hold".

    >>> at_most(0.03, holds=0.05, partly=0.1), at_most(0.5, holds=0.05, partly=0.1)
    ('holds', 'does not hold')
    """
    if _is_missing(value):
        return NOT_MEASURABLE
    if partly is not None and partly < holds:
        raise ValueError(f"partly={partly} must not be below holds={holds} for at_most.")
    if value <= holds:
        return HOLDS
    if partly is not None and value <= partly:
        return PARTLY
    return DOES_NOT_HOLD


def share(flags: Iterable[bool], *, holds: float = 1.0, partly: Optional[float] = 0.5) -> str:
    """Outcome from the share of checks that pass: :func:`at_least` on ``mean(flags)``.

    The default reads "holds when every check passes, partly when at least half do". No checks at
    all is "not measurable".

    >>> share([True, True, False]), share([True, False, False]), share([])
    ('partly', 'does not hold', 'not measurable')
    """
    flags = [bool(f) for f in flags]
    if not flags:
        return NOT_MEASURABLE
    return at_least(sum(flags) / len(flags), holds=holds, partly=partly)


def within(value: Optional[float], low: float, high: float) -> str:
    """"holds" when ``low ≤ value ≤ high``, else "does not hold" (NaN: "not measurable")."""
    if _is_missing(value):
        return NOT_MEASURABLE
    return HOLDS if low <= value <= high else DOES_NOT_HOLD


def with_control(verdict: str, control: Optional[str]) -> str:
    """The verdict of a claim, given the verdict of the same criterion on a negative control.

    A claim that holds (or partly holds) on the control as well as on the real network cannot
    tell them apart: it is "not discriminating". Without a control the verdict stands.

    >>> with_control("holds", "does not hold"), with_control("partly", "partly")
    ('holds', 'not discriminating')
    """
    check_verdict("verdict", verdict)
    if control is None:
        return verdict
    check_verdict("control", control)
    if verdict in (HOLDS, PARTLY) and control in (HOLDS, PARTLY):
        return NOT_DISCRIMINATING
    return verdict


def check_verdict(name: str, verdict: str) -> str:
    """Raises ValueError unless ``verdict`` is one of :data:`VERDICTS`."""
    if verdict not in VERDICTS:
        raise ValueError(f"{name}={verdict!r} is not a verdict; choose one of {', '.join(map(repr, VERDICTS))}.")
    return verdict


def count_outcomes(verdicts: Sequence[str]) -> dict[str, int]:
    """How many rows end in each outcome, every outcome listed (zeros included).

    >>> count_outcomes(["holds", "holds", "partly"])["holds"]
    2
    """
    counts = Counter(check_verdict("verdicts", v) for v in verdicts)
    return {v: int(counts.get(v, 0)) for v in VERDICTS}


class ClaimRow(NamedTuple):
    """A claim judged on the real run (``outcome``) and on its negative control (``control_outcome``).

    ``ours``/``seed`` are the two numbers as text; ``control`` the control's numbers (None when no
    control applies). :attr:`verdict` combines the two outcomes with :func:`with_control`.

    >>> crit = Criterion("c", "words", "§1", "m", holds="≥ 1")
    >>> ClaimRow(crit, "1.2", "1", "holds", "0.9", "holds").verdict
    'not discriminating'
    """

    criterion: Criterion
    ours: str
    seed: str
    outcome: str
    control: Optional[str] = None
    control_outcome: Optional[str] = None
    note: str = ""

    @property
    def verdict(self) -> str:
        """The outcome, or "not discriminating" when the control also (partly) holds."""
        return with_control(self.outcome, self.control_outcome)


def mark_smoke_test(rows: Sequence[ClaimRow], reason: str) -> list[ClaimRow]:
    """Marks the rows whose criterion concerns trained networks as a smoke test, giving ``reason``.

    Quick runs train too little to judge such claims; their rows say so in the note.

    >>> crit = Criterion("c", "words", "§1", "m", holds="≥ 1")
    >>> mark_smoke_test([ClaimRow(crit, "1", "1", "holds")], "quick mode")[0].note
    'smoke test (quick mode)'
    """
    return [r._replace(note=f"smoke test ({reason})" + (f"; {r.note}" if r.note else ""))
            if r.criterion.trained else r for r in rows]

