"""The command line shared by every experiment script."""

from __future__ import annotations

import argparse
from pathlib import Path


def experiment_parser(name: str, description: str) -> argparse.ArgumentParser:
    """``--quick`` (default; seconds to a minute) or ``--full`` (the seed's sizes), ``--out``, ``--seed``."""
    parser = argparse.ArgumentParser(prog=f"experiments/{name}.py", description=description)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="small sizes, seconds to a minute (default)")
    mode.add_argument("--full", action="store_true", help="the seed's real sizes")
    parser.add_argument("--out", type=Path, default=Path("results"), help="results folder (default: results/)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    return parser
