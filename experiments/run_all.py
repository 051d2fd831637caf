"""Runs every experiment (or those named with --only) and writes results/index.html.

    python experiments/run_all.py --quick            # all experiments, small sizes
    python experiments/run_all.py --full --only bp_dnn
    python experiments/run_all.py --quick --only thesis_ch5_synthesis   # one study (names: experiments/*.py)
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
if __package__ in (None, ""):
    sys.path.insert(0, str(HERE.parent))

from jaxprobe.report.section import ensure_writable  # noqa: E402


def available() -> dict[str, Path]:
    """Experiment name → script, for every ``experiments/<name>.py`` with a ``main``."""
    return {p.stem: p for p in sorted(HERE.glob("*.py")) if p.stem not in {"run_all", "__init__"}}


def load(name: str):
    scripts = available()
    if name not in scripts:
        raise SystemExit(f"unknown experiment {name!r}; choose from: {', '.join(scripts)}.")
    module_name = f"experiments_{name}"
    spec = importlib.util.spec_from_file_location(module_name, scripts[name])
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses with string annotations look their module up here
    spec.loader.exec_module(module)
    return module


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="small sizes (default)")
    mode.add_argument("--full", action="store_true", help="the seeds' real sizes")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="experiments to run (default: all)")
    parser.add_argument("--out", type=Path, default=Path("results"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    names = args.only or list(available())
    modules = {name: load(name) for name in names}  # fail on unknown names before running anything
    try:
        ensure_writable(args.out)  # before hours of work, not after
    except PermissionError as err:
        print(f"!! {err}", file=sys.stderr)
        return 2
    index = args.out / "index.html"
    started = time.time()
    failed = []
    for name, module in modules.items():
        start = time.perf_counter()
        print(f"== {name} ({'full' if args.full else 'quick'})", flush=True)
        try:
            module.main(["--full" if args.full else "--quick", "--out", str(args.out), "--seed", str(args.seed)])
        except Exception as err:  # report and go on with the others
            failed.append(name)
            print(f"!! {name} failed: {type(err).__name__}: {err}", file=sys.stderr, flush=True)
        print(f"== {name} done in {time.perf_counter() - start:.1f} s", flush=True)
    if index.is_file() and index.stat().st_mtime >= started - 1:
        print(f"report: {index}")
    else:
        print(f"!! no report was written to {index}", file=sys.stderr)
        failed = failed or ["report"]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
