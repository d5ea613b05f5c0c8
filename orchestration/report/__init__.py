"""Static HTML report of the published indicators (DEFINITIONS §6, §7).

`build_report(warehouse, out)` reads the published warehouse read-only and writes one
self-contained HTML file: per regio and indicator the yearly values with baseline and target,
the numbers in a table (provisional values marked, suppressed cells shown as such), and a
comparison per aanbieder.
"""

from orchestration.report.build import build_report
from orchestration.report.data import ReportError

__all__ = ["ReportError", "build_report"]
