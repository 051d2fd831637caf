"""Experiment reports: sections written atomically, ``index.html``, the command line, the run cache.

``Report`` (one experiment's section: figures, metrics, claims beside the seed's numbers, timed
stages), ``write_index`` (the page gathering every section), ``experiment_parser`` (the shared
``--quick``/``--full`` command line) and ``RunCache`` (fingerprinted results reused across runs).
"""

from jaxprobe.analysis.verdicts import VERDICTS
from jaxprobe.report.cache import RunCache
from jaxprobe.report.cli import experiment_parser
from jaxprobe.report.index import write_index
from jaxprobe.report.section import Report, ensure_writable

__all__ = ["Report", "RunCache", "VERDICTS", "ensure_writable", "experiment_parser", "write_index"]
