"""The static HTML report: a chart and a table per regio × indicator, provisional values marked,
suppressed cells never shown as a number (DEFINITIONS §6, §7), no network needed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import lxml.html
import plotly.graph_objects as go
import pytest

from orchestration.report import ReportError, build_report
from orchestration.report.charts import figure_div, provider_figure, trend_figure
from orchestration.report.data import load_report_data
from orchestration.report.formatting import format_value, number_nl
from orchestration.report.views import build_sections
from tests.report_fixtures import count_row, make_indicator_warehouse

SUP = "onderdrukt"  # how a suppressed value, numerator or denominator reads (DEFINITIONS §7)


@pytest.fixture(scope="module")
def fixture_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_indicator_warehouse(tmp_path_factory.mktemp("wh") / "wh.duckdb")


@pytest.fixture(scope="module")
def report_html(fixture_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("report") / "rapport.html"
    assert build_report(fixture_warehouse, out) == out
    return out.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def page(report_html: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(report_html)


def _article(page: lxml.html.HtmlElement, regio: str, code: str) -> lxml.html.HtmlElement:
    (article,) = page.xpath(f'//article[@data-regio="{regio}"][@data-indicator="{code}"]')
    return article


def _rows(table: lxml.html.HtmlElement) -> list[list[str]]:
    return [
        [td.text_content().strip() for td in tr.xpath("./td")] for tr in table.xpath(".//tbody/tr")
    ]


def _sections(warehouse: Path) -> dict:
    return {
        (s.regio, s.indicator.code): s
        for items in build_sections(load_report_data(warehouse)).values()
        for s in items
    }


# ----------------------------------------------------------------------------- page structure


def test_every_regio_indicator_pair_has_one_chart_div(page: lxml.html.HtmlElement) -> None:
    chart_ids = sorted(page.xpath('//div[contains(@class, "plotly-graph-div")]/@id'))
    assert chart_ids == [
        "chart-noord-limburg-start_within_norm",
        "chart-twente-clients_residential",
        "chart-twente-start_within_norm",
        "providers-twente-clients_residential",
    ]


def test_header_shows_peildatum_published_at_and_run(page: lxml.html.HtmlElement) -> None:
    header = dict(
        zip(
            page.xpath("//header//dl/dt/text()"),
            page.xpath("//header//dl/dd/text()"),
            strict=True,
        )
    )
    assert header["Peildatum"] == "1 maart 2025"
    assert header["Gepubliceerd"] == "2 maart 2025 01:02 UTC"
    assert header["Run"] == "run-42"


def test_indicator_headings_use_the_dutch_names_of_dim_indicators(
    page: lxml.html.HtmlElement,
) -> None:
    headings = [h.text_content() for h in page.xpath("//article/h3")]
    assert headings == [
        "start binnen norm start_within_norm",
        "jeugdigen in verblijf clients_residential",
        "start binnen norm start_within_norm",
    ]


def test_plotly_is_inlined_once_and_nothing_is_loaded_from_the_network(report_html: str) -> None:
    assert report_html.count("* plotly.js v") == 1
    assert report_html.count('class="chart-spec"') == 4
    assert not re.search(r"<script[^>]+src=", report_html)
    assert "<link" not in report_html
    assert "<img" not in report_html


# ----------------------------------------------------------------------------- tables


def test_table_shows_the_yearly_values_baseline_target_and_status(
    page: lxml.html.HtmlElement,
) -> None:
    article = _article(page, "Twente", "clients_residential")
    (table,) = article.xpath('.//table[contains(@class, "series")]')
    assert _rows(table) == [
        ["2023", "40", "40", "–", "40", "28", "nee", "definitief"],
        ["2024", "36", "36", "–", "40", "28", "nee", "definitief"],
        ["2025", "27", "27", "–", "40", "28", "ja", "voorlopig"],
    ]


def test_percentages_use_a_decimal_comma(page: lxml.html.HtmlElement) -> None:
    article = _article(page, "Twente", "start_within_norm")
    table = article.xpath('.//table[contains(@class, "series")]')[0]
    assert _rows(table) == [["2024", "87,5 %", "35", "40", "–", "90,0 %", "nee", "definitief"]]


def test_provisional_year_is_marked_voorlopig_in_the_table(page: lxml.html.HtmlElement) -> None:
    article = _article(page, "Twente", "clients_residential")
    provisional = article.xpath('.//table[contains(@class, "series")]//tr[@class="provisional"]')
    assert [tr.get("data-year") for tr in provisional] == ["2025"]
    assert provisional[0].xpath('.//span[contains(@class, "badge")]/text()') == ["voorlopig"]


def test_suppressed_cell_shows_onderdrukt_and_no_number(page: lxml.html.HtmlElement) -> None:
    article = _article(page, "Noord-Limburg", "start_within_norm")
    (table,) = article.xpath('.//table[contains(@class, "series")]')
    (row,) = _rows(table)
    # value, numerator and denominator: the word, never 0 or empty
    assert row[1:4] == [SUP, SUP, SUP]
    assert row[6] == "–"  # meets_target is not judged on a suppressed cell


def test_segment_rows_are_in_a_collapsible_table_with_the_suppressed_segment(
    page: lxml.html.HtmlElement,
) -> None:
    article = _article(page, "Twente", "start_within_norm")
    (table,) = article.xpath(".//details//table")
    assert _rows(table) == [
        ["2024", "begeleiding", "95,0 %", "19", "20", "–", "90,0 %", "ja", "definitief"],
        ["2024", "dyslexie", SUP, SUP, SUP, "–", "90,0 %", "–", "definitief"],
    ]


def test_gemeente_rows_are_not_part_of_the_regio_figures(report_html: str) -> None:
    assert "999" not in report_html.split("</head>", 1)[1]


def test_provider_table_has_the_most_recent_year_highest_first_suppressed_last(
    page: lxml.html.HtmlElement,
) -> None:
    article = _article(page, "Twente", "clients_residential")
    (table,) = article.xpath('.//table[contains(@class, "providers")]')
    assert _rows(table) == [
        ["12345678", "alle segmenten", "2025", "15", "15", "–", "voorlopig"],
        ["87654321", "alle segmenten", "2025", "9", "9", "–", "voorlopig"],
        ["11112222", "alle segmenten", "2025", SUP, SUP, SUP, "voorlopig"],
    ]


def test_text_from_the_warehouse_is_escaped(tmp_path: Path) -> None:
    row = count_row("<b>x</b>")
    wh = make_indicator_warehouse(tmp_path / "wh.duckdb", values=[row])
    html = build_report(wh, tmp_path / "r.html").read_text()
    assert "<b>x</b>" not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html


# ----------------------------------------------------------------------------- charts


def _traces(figure: dict) -> dict[str, dict]:
    return {t["name"]: t for t in figure["data"]}


def test_suppressed_year_has_a_gap_in_the_line_not_a_zero(fixture_warehouse: Path) -> None:
    section = _sections(fixture_warehouse)[("Noord-Limburg", "start_within_norm")]
    figure = trend_figure(section)
    line = figure["data"][0]
    assert (line["x"], line["y"]) == ([2024], [None])
    assert [a["text"] for a in figure["layout"]["annotations"]] == ["onderdrukt"]
    assert not {"definitief", "voorlopig"} & set(_traces(figure))


def test_provisional_point_has_a_hollow_marker(fixture_warehouse: Path) -> None:
    section = _sections(fixture_warehouse)[("Twente", "clients_residential")]
    traces = _traces(trend_figure(section))
    assert traces["voorlopig"]["marker"]["symbol"] == "circle-open"
    assert traces["voorlopig"]["x"] == [2025]
    assert traces["definitief"]["marker"]["symbol"] == "circle"
    assert traces["definitief"]["x"] == [2023, 2024]


def test_baseline_and_target_are_drawn_as_lines(fixture_warehouse: Path) -> None:
    section = _sections(fixture_warehouse)[("Twente", "clients_residential")]
    traces = _traces(trend_figure(section))
    assert traces["basiswaarde"]["y"] == [40, 40, 40]
    assert traces["basiswaarde"]["line"]["dash"] == "dash"
    assert traces["streefwaarde"]["y"] == [28, 28, 28]
    assert traces["streefwaarde"]["line"]["dash"] == "dot"


def test_segments_are_offered_in_a_dropdown_all_segments_first(fixture_warehouse: Path) -> None:
    section = _sections(fixture_warehouse)[("Twente", "start_within_norm")]
    figure = trend_figure(section)
    (menu,) = figure["layout"]["updatemenus"]
    assert [b["label"] for b in menu["buttons"]] == ["alle segmenten", "begeleiding", "dyslexie"]
    visible_first = [t["visible"] for t in figure["data"]]
    assert visible_first == menu["buttons"][0]["args"][0]["visible"]
    # the dyslexie view shows its suppression label, the others none
    assert [len(b["args"][1]["annotations"]) for b in menu["buttons"]] == [0, 0, 1]


def test_provider_chart_has_no_bar_for_a_suppressed_provider(fixture_warehouse: Path) -> None:
    section = _sections(fixture_warehouse)[("Twente", "clients_residential")]
    (bars,) = provider_figure(section)["data"]
    assert bars["y"] == ["12345678 · voorlopig", "87654321 · voorlopig", "11112222 · onderdrukt"]
    assert bars["x"] == [15, 9, None]
    # provisional bars are hollow: white fill, coloured outline
    assert bars["marker"]["color"] == ["white", "white", "white"]


def test_every_figure_is_a_valid_plotly_figure(fixture_warehouse: Path) -> None:
    sections = _sections(fixture_warehouse).values()
    figures = [trend_figure(s) for s in sections]
    figures += [provider_figure(s) for s in sections if s.providers]
    for figure in figures:
        go.Figure(figure)  # raises on an unknown property or an invalid value


def test_chart_json_cannot_close_its_script_element() -> None:
    html = figure_div(
        {"data": [{"type": "bar", "name": "</script><b>"}], "layout": {"height": 9}}, "c"
    )
    assert html.count("</script>") == 1
    spec = lxml.html.fromstring(html).xpath("//script")[0].text
    assert json.loads(spec)["data"][0]["name"] == "</script><b>"


# ----------------------------------------------------------------------------- no indicators


def test_missing_indicator_table_gives_a_clear_message(tmp_path: Path) -> None:
    wh = make_indicator_warehouse(tmp_path / "wh.duckdb", with_values_table=False)
    html = build_report(wh, tmp_path / "r.html").read_text()
    page = lxml.html.fromstring(html)
    (notice,) = page.xpath('//div[@id="no-indicators"]')
    assert "marts.fct_indicator_values ontbreekt" in notice.text_content()
    assert "plotly.js" not in html
    assert page.xpath("//header//dd/text()")[0] == "1 maart 2025"


def test_empty_indicator_table_gives_a_clear_message(tmp_path: Path) -> None:
    wh = make_indicator_warehouse(tmp_path / "wh.duckdb", values=[])
    html = build_report(wh, tmp_path / "r.html").read_text()
    (notice,) = lxml.html.fromstring(html).xpath('//div[@id="no-indicators"]')
    assert "is leeg" in notice.text_content()


def test_only_gemeente_rows_give_a_clear_message_not_an_empty_page(tmp_path: Path) -> None:
    row = count_row("recidive", gemeentecode="0153")
    wh = make_indicator_warehouse(tmp_path / "wh.duckdb", values=[row])
    html = build_report(wh, tmp_path / "r.html").read_text()
    (notice,) = lxml.html.fromstring(html).xpath('//div[@id="no-indicators"]')
    assert "bevat 1 rijen, maar geen enkele op regioniveau" in notice.text_content()


def test_missing_warehouse_is_a_report_error(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="does not exist"):
        build_report(tmp_path / "nope.duckdb", tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


def test_report_is_written_without_leaving_a_temporary_file(
    fixture_warehouse: Path, tmp_path: Path
) -> None:
    out = tmp_path / "sub" / "rapport.html"
    build_report(fixture_warehouse, out)
    assert [p.name for p in out.parent.iterdir()] == ["rapport.html"]


def test_indicator_missing_from_the_catalogue_is_shown_under_its_code(tmp_path: Path) -> None:
    row = count_row("new_indicator")
    wh = make_indicator_warehouse(tmp_path / "wh.duckdb", values=[row])
    page = lxml.html.fromstring(build_report(wh, tmp_path / "r.html").read_text())
    assert [h.text_content() for h in page.xpath("//article/h3")] == ["new_indicator new_indicator"]


# ----------------------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (87.5, "percent", "87,5 %"),
        (1234567.891, "euro", "€ 1.234.568"),
        (12.5, "euro_per_client", "€ 12,50"),
        (36.0, "clients", "36"),
        (123.456, "days", "123,5"),
        (None, "clients", "–"),
    ],
)
def test_values_are_formatted_the_dutch_way(value: float | None, unit: str, expected: str) -> None:
    assert format_value(value, unit) == expected


def test_negative_zero_is_shown_without_a_sign() -> None:
    assert number_nl(-0.0001, 1) == "0,0"
    assert number_nl(-1234.5, 1) == "-1.234,5"
