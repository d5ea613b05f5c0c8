"""Build the static HTML report of the published indicators."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from orchestration.report.data import load_report_data
from orchestration.report.page import render_page
from orchestration.report.views import Section, build_sections

DEFAULT_SUPPRESSION_THRESHOLD = 5  # DEFINITIONS §7 (JEUGDHULP_SUPPRESSION_THRESHOLD)


def build_report(
    warehouse: Path,
    out: Path,
    *,
    suppression_threshold: int = DEFAULT_SUPPRESSION_THRESHOLD,
) -> Path:
    """Write one self-contained HTML file (no network needed) with the indicators of the
    published warehouse, per regio and indicator; return its path.

    `suppression_threshold` only words the legend ("fewer than N"): which cells are suppressed
    is decided at publication (`suppressed` column). The file is written to a temporary name
    and renamed into place. Raises `ReportError` when the warehouse is missing or unreadable; an
    absent or empty `marts.fct_indicator_values` gives a page that says so.
    """
    out = Path(out)
    data = load_report_data(Path(warehouse))
    sections = build_sections(data)
    plotly_js = ""
    trend_html = provider_html = _no_chart
    if sections and not data.missing_reason:
        from plotly.offline import get_plotlyjs

        from orchestration.report.charts import figure_div, provider_figure, trend_figure

        plotly_js = get_plotlyjs()

        def trend_html(section: Section) -> str:
            return figure_div(trend_figure(section), f"chart-{section.slug}")

        def provider_html(section: Section) -> str:
            return figure_div(provider_figure(section), f"providers-{section.slug}")

    html = render_page(
        data,
        sections,
        plotly_js=plotly_js,
        trend_html=trend_html,
        provider_html=provider_html,
        generated_at=dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0),
        suppression_threshold=suppression_threshold,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(html, encoding="utf-8")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def _no_chart(section: Section) -> str:
    return ""
