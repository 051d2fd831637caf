"""Compares two results folders' metrics.json, experiment by experiment: every number the first
run produced must be in the second with the same value (timings excepted, they vary by machine).

    python tools/compare_metrics.py results_before/ results_after/ [--rtol 0]

Used when code moves (the layout change of issue 9): the same seed must give the same numbers.
Exits 1 and lists the differences when any number changed or disappeared; keys only the second
run has are listed as added.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

# Keys whose values are wall times, which vary between runs of the same code.
TIMING_WORDS = ("timings", "seconds", "wall", "_s_per", "per_second", "steps_per_s", "throughput")


def flatten(value, prefix=""):
    """{'a.b.0': leaf} for every leaf of nested dicts and lists."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}{k}."))
        return out
    if isinstance(value, list):
        out = {}
        for i, v in enumerate(value):
            out.update(flatten(v, f"{prefix}{i}."))
        return out
    return {prefix.rstrip("."): value}


def is_timing(key: str) -> bool:
    return any(word in key for word in TIMING_WORDS)


def same(a, b, rtol: float) -> bool:
    if isinstance(a, float) and isinstance(b, (int, float)):
        if math.isnan(a):
            return isinstance(b, float) and math.isnan(b)
        return a == b or abs(a - b) <= rtol * max(abs(a), abs(b))
    return a == b


def compare(before: Path, after: Path, rtol: float = 0.0) -> list[str]:
    problems = []
    for old in sorted(before.glob("*/metrics.json")):
        name = old.parent.name
        new = after / name / "metrics.json"
        if not new.is_file():
            problems.append(f"{name}: no metrics.json in {after}")
            continue
        a, b = flatten(json.loads(old.read_text())), flatten(json.loads(new.read_text()))
        changed = [k for k in a if not is_timing(k) and k in b and not same(a[k], b[k], rtol)]
        missing = [k for k in a if not is_timing(k) and k not in b]
        problems += [f"{name}: {k}: {a[k]!r} -> {b[k]!r}" for k in changed]
        problems += [f"{name}: {k}: missing after" for k in missing]
        added = [k for k in b if k not in a and not is_timing(k)]
        print(f"{name}: {len(a)} values compared, {len(changed)} changed, {len(missing)} missing, "
              f"{len(added)} added")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--rtol", type=float, default=0.0, help="relative tolerance (default 0: identical)")
    args = parser.parse_args(argv)
    problems = compare(args.before, args.after, args.rtol)
    for p in problems:
        print(p)
    print("identical" if not problems else f"{len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
