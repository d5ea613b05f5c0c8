"""The report as one static HTML page (Dutch): header, contents, per regio × indicator a chart and
its numbers in a table, and the comparison per aanbieder.

The page needs no network: the plotly library is inlined once in the head, there are no external
stylesheets, fonts or images. Every text from the warehouse is HTML-escaped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from html import escape

from orchestration.report.data import Cell, ReportData
from orchestration.report.formatting import (
    DIRECTION_LABELS,
    INSUFFICIENT_TEXT,
    PROVISIONAL_TEXT,
    PROXY_TEXT,
    SUPPRESSED_TEXT,
    coverage_text,
    date_nl,
    format_count,
    format_value,
    meets_target_text,
    segment_label,
    status_text,
    timestamp_nl,
    unit_label,
    value_text,
)
from orchestration.report.views import Section, slug

TITLE = "Indicatoren jeugdhulp"

CSS = """
:root { --ink:#222; --muted:#666; --line:#ddd; --accent:#1f5f8b; --warn:#8a5a00; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: var(--ink);
  margin: 0; line-height: 1.45; }
header.page { background: #f4f7fa; border-bottom: 1px solid var(--line); padding: 1.2rem 2rem; }
header.page h1 { margin: 0 0 .4rem; font-size: 1.6rem; }
header.page dl { display: grid; grid-template-columns: max-content auto; gap: .15rem 1rem;
  margin: .4rem 0 0; }
header.page dt { color: var(--muted); }
header.page dd { margin: 0; }
main { padding: 1rem 2rem 3rem; max-width: 1200px; }
nav.contents ul { columns: 2; padding-left: 1.2rem; }
section.regio > h2 { border-bottom: 2px solid var(--accent); padding-bottom: .2rem;
  margin-top: 2.5rem; }
article.indicator { border-top: 1px solid var(--line); padding-top: .8rem; margin-top: 1.6rem; }
article.indicator h3 { margin: 0 0 .2rem; font-size: 1.2rem; }
article.indicator h3 code { font-size: .8rem; color: var(--muted); font-weight: normal; }
p.meta, p.definition { margin: .2rem 0; color: var(--muted); font-size: .9rem; }
table.values { border-collapse: collapse; margin: .6rem 0; font-size: .9rem;
  font-variant-numeric: tabular-nums; }
table.values th, table.values td { border-bottom: 1px solid var(--line); padding: .25rem .7rem;
  text-align: right; }
table.values th:first-child, table.values td:first-child { text-align: left; }
table.values thead th { border-bottom: 2px solid #999; }
td.suppressed { color: var(--warn); font-style: italic; }
td.insufficient { color: var(--warn); font-style: italic; }
tr.provisional td { background: #fbfbf3; }
span.badge { display: inline-block; padding: 0 .4rem; border-radius: .6rem; font-size: .8rem; }
span.badge.provisional { border: 1px solid var(--warn); color: var(--warn); }
span.badge.final { border: 1px solid #9ab; color: #456; }
.notice { border: 1px solid #e0c080; background: #fff8e6; padding: .8rem 1rem; border-radius: 4px; }
.legend-note { font-size: .9rem; color: var(--muted); }
details { margin: .4rem 0; }
summary { cursor: pointer; color: var(--accent); }
"""


# Draws each chart when it comes near the viewport (a publication can hold hundreds of charts),
# and all of them before printing. Without IntersectionObserver every chart is drawn at once.
CHART_LOADER = """
(function () {
  var specs = {};
  document.querySelectorAll('script.chart-spec').forEach(function (s) {
    specs[s.getAttribute('data-for')] = s;
  });
  var divs = Array.prototype.slice.call(document.querySelectorAll('div.chart'));
  function draw(div) {
    if (div.getAttribute('data-drawn')) { return; }
    div.setAttribute('data-drawn', '1');
    var spec = JSON.parse(specs[div.id].textContent);
    Plotly.newPlot(div, spec.data, spec.layout, spec.config);
  }
  function drawAll() { divs.forEach(draw); }
  window.addEventListener('beforeprint', drawAll);
  if (!('IntersectionObserver' in window)) { drawAll(); return; }
  var observer = new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (entry.isIntersecting) { observer.unobserve(entry.target); draw(entry.target); }
    });
  }, {rootMargin: '600px 0px'});
  divs.forEach(function (div) { observer.observe(div); });
})();
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _header(data: ReportData, generated_at: dt.datetime) -> str:
    pub = data.publication
    rows = [
        ("Peildatum", date_nl(pub.peildatum)),
        ("Gepubliceerd", timestamp_nl(pub.published_at)),
        ("Run", pub.run_id or "onbekend"),
        ("Warehouse", data.warehouse.name),
        ("Rapport gemaakt", timestamp_nl(generated_at)),
    ]
    items = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in rows)
    return (
        '<header class="page">'
        f"<h1>{_e(TITLE)}</h1>"
        '<p class="legend-note">Gepubliceerde cijfers per regio en indicator '
        "(DEFINITIONS §6). Alleen cijfers die alle blokkerende controles doorstonden.</p>"
        f'<dl class="publication">{items}</dl>'
        "</header>"
    )


def _legend(suppression_threshold: int) -> str:
    return (
        '<p class="legend-note">'
        f'<span class="badge provisional">{PROVISIONAL_TEXT}</span> '
        "de waarde kan nog veranderen: het jaar is minder dan zes maanden voorbij of er lopen "
        "nog trajecten; in de grafiek een open punt of een lege balk. "
        f'<em class="suppressed">{SUPPRESSED_TEXT}</em> '
        f"gebaseerd op minder dan {suppression_threshold} jeugdigen (&lt; {suppression_threshold}): "
        "waarde, teller en noemer worden niet getoond (DEFINITIONS §7); in de grafiek geen punt, "
        "nooit een nul. "
        f'<em class="insufficient">{INSUFFICIENT_TEXT}</em> '
        "het benodigde gegeven (reden van beëindiging, uitkomstrapportage) is voor te weinig "
        "jeugdigen bekend: geen waarde, geen oordeel over de streefwaarde, nooit een nul; de "
        f"dekking staat erbij. ({PROXY_TEXT}) de waarde rust op een start van zorg afgeleid uit "
        "declaraties (later dan de werkelijke start). "
        "Stippellijnen: basiswaarde (gestreept) en streefwaarde (gestippeld)."
        "</p>"
    )


def _contents(sections: dict[str, list[Section]]) -> str:
    parts = ['<nav class="contents"><h2>Inhoud</h2>']
    for regio, items in sections.items():
        links = "".join(
            f'<li><a href="#ind-{s.slug}">{_e(s.indicator.name_nl)}</a></li>' for s in items
        )
        parts.append(f'<h3><a href="#regio-{slug(regio)}">{_e(regio)}</a></h3><ul>{links}</ul>')
    parts.append("</nav>")
    return "".join(parts)


def _number_cells(cell: Cell) -> str:
    """Value, numerator and denominator: a suppressed cell shows the word, never a number."""
    if cell.suppressed:
        return f'<td class="suppressed">{SUPPRESSED_TEXT}</td>' * 3
    if cell.insufficient:
        coverage = f" (dekking {coverage_text(cell)})" if cell.coverage is not None else ""
        return (
            f'<td class="insufficient">{_e(INSUFFICIENT_TEXT + coverage)}</td>' + "<td>–</td>" * 2
        )
    return (
        f'<td class="value">{_e(value_text(cell))}</td>'
        f"<td>{_e(format_count(cell.numerator))}</td>"
        f"<td>{_e(format_count(cell.denominator))}</td>"
    )


def _status_cell(cell: Cell) -> str:
    kind = "final" if cell.is_final else "provisional"
    return f'<td><span class="badge {kind}">{_e(status_text(cell))}</span></td>'


def _row_class(cell: Cell) -> str:
    return "final" if cell.is_final else "provisional"


def _series_table(cells: list[Cell], with_segment: bool) -> str:
    head = ["Jaar", *(["Segment"] if with_segment else []), "Waarde", "Teller", "Noemer"]
    head += ["Basiswaarde", "Streefwaarde", "Streefwaarde gehaald", "Status"]
    rows = []
    for c in cells:
        segment = f"<td>{_e(segment_label(c.segment))}</td>" if with_segment else ""
        rows.append(
            f'<tr class="{_row_class(c)}" data-year="{c.period_year}">'
            f"<td>{c.period_year}</td>{segment}{_number_cells(c)}"
            f"<td>{_e(format_value(c.baseline_value, c.unit))}</td>"
            f"<td>{_e(format_value(c.target_value, c.unit))}</td>"
            f"<td>{_e(meets_target_text(c))}</td>{_status_cell(c)}</tr>"
        )
    header = "".join(f"<th>{_e(h)}</th>" for h in head)
    return (
        f'<table class="values series"><thead><tr>{header}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _provider_table(section: Section) -> str:
    head = ["Aanbieder (AGB)", "Segment", "Jaar", "Waarde", "Teller", "Noemer", "Status"]
    rows = []
    for group in section.providers:
        for c in group.cells:
            rows.append(
                f'<tr class="{_row_class(c)}"><td>{_e(c.aanbieder_agb)}</td>'
                f"<td>{_e(segment_label(c.segment))}</td><td>{c.period_year}</td>"
                f"{_number_cells(c)}{_status_cell(c)}</tr>"
            )
    header = "".join(f"<th>{_e(h)}</th>" for h in head)
    return (
        f'<table class="values providers"><thead><tr>{header}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _indicator_meta(section: Section) -> str:
    ind = section.indicator
    bits = [f"eenheid: {unit_label(section.unit)}"]
    if ind.direction:
        bits.append(DIRECTION_LABELS.get(ind.direction, ind.direction))
    if ind.spec_section:
        bits.append(ind.spec_section)
    if ind.source_document:
        bits.append(f"bron: {ind.source_document}")
    definition = f'<p class="definition">{_e(ind.definition)}</p>' if ind.definition else ""
    return f'<p class="meta">{_e(" · ".join(bits))}</p>{definition}'


ChartRenderer = Callable[[Section], str]


def _article(section: Section, trend_html: ChartRenderer, provider_html: ChartRenderer) -> str:
    ind = section.indicator
    parts = [
        f'<article class="indicator" id="ind-{section.slug}" data-regio="{_e(section.regio)}" '
        f'data-indicator="{_e(ind.code)}">',
        f"<h3>{_e(ind.name_nl)} <code>{_e(ind.code)}</code></h3>",
        _indicator_meta(section),
    ]
    if section.series:
        parts.append(trend_html(section))
        overall, *per_segment = section.series
        parts.append(_series_table(list(overall.cells), with_segment=False))
        if per_segment:
            cells = [c for s in per_segment for c in s.cells]
            parts.append(
                f"<details><summary>Cijfers per segment ({len(per_segment)})</summary>"
                f"{_series_table(cells, with_segment=True)}</details>"
            )
    else:
        parts.append('<p class="legend-note">Geen cijfers op regioniveau gepubliceerd.</p>')
    if section.providers:
        year = section.providers[0].year
        parts.append(f"<h4>Vergelijking per aanbieder ({year})</h4>")
        parts.append(provider_html(section))
        n = sum(len(g.cells) for g in section.providers)
        parts.append(
            f"<details><summary>Cijfers per aanbieder ({n})</summary>"
            f"{_provider_table(section)}</details>"
        )
    parts.append("</article>")
    return "".join(parts)


def render_page(
    data: ReportData,
    sections: dict[str, list[Section]],
    *,
    plotly_js: str,
    trend_html: ChartRenderer,
    provider_html: ChartRenderer,
    generated_at: dt.datetime,
    suppression_threshold: int,
) -> str:
    """The whole HTML document. `plotly_js` is inlined once (empty when there are no charts)."""
    body: list[str] = [_header(data, generated_at), "<main>"]
    if data.missing_reason or not sections:
        reason = data.missing_reason or "Er zijn geen indicatorwaarden op regioniveau gepubliceerd."
        body.append(f'<div class="notice" id="no-indicators"><p>{_e(reason)}</p></div>')
    else:
        body.append(_legend(suppression_threshold))
        body.append(_contents(sections))
        for regio, items in sections.items():
            body.append(
                f'<section class="regio" id="regio-{slug(regio)}"><h2>Regio {_e(regio)}</h2>'
            )
            body.extend(_article(s, trend_html, provider_html) for s in items)
            body.append("</section>")
    body.append("</main>")
    if plotly_js:
        body.append(f"<script>{CHART_LOADER}</script>")
    script = f'<script type="text/javascript">{plotly_js}</script>' if plotly_js else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="nl"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(TITLE)} — peildatum {_e(date_nl(data.publication.peildatum))}</title>"
        f"<style>{CSS}</style>{script}</head><body>{''.join(body)}</body></html>\n"
    )
