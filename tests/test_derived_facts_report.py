"""DEFINITIONS §7 in the HTML report: an `insufficient` cell shows "onvoldoende gegevens" — never
a number, never 0, never a target verdict — and a `proxy` cell says it rests on proxy facts."""

from __future__ import annotations

from orchestration.report.data import Cell
from orchestration.report.formatting import (
    INSUFFICIENT_TEXT,
    coverage_text,
    meets_target_text,
    value_text,
)
from orchestration.report.page import _number_cells


def _cell(**kwargs: object) -> Cell:
    base: dict[str, object] = {
        "indicator_code": "ended_according_to_plan",
        "period_year": 2025,
        "regio": "Noord-Limburg",
        "gemeentecode": "",
        "segment": "",
        "aanbieder_agb": "",
        "numerator": None,
        "denominator": None,
        "value": None,
        "unit": "percent",
        "baseline_value": None,
        "target_value": 90.0,
        "meets_target": None,
        "is_final": True,
        "suppressed": False,
    }
    return Cell(**(base | kwargs))  # type: ignore[arg-type]


def test_insufficient_cell_shows_the_words_and_its_coverage_never_a_number_or_verdict() -> None:
    # a verdict that slipped through would still not be shown
    cell = _cell(coverage=0.14, data_quality="insufficient", meets_target=False)
    assert value_text(cell) == INSUFFICIENT_TEXT
    assert meets_target_text(cell) == "–"
    assert coverage_text(cell) == "14%"
    html = _number_cells(cell)
    assert "onvoldoende gegevens (dekking 14%)" in html
    assert "0" not in html.replace("(dekking 14%)", "")


def test_proxy_cell_shows_its_value_marked_proxy_with_its_verdict() -> None:
    cell = _cell(
        numerator=45.0, denominator=50.0, value=90.0, data_quality="proxy", meets_target=True
    )
    assert value_text(cell) == "90,0 % (proxy)"
    assert meets_target_text(cell) == "ja"


def test_complete_cell_without_coverage() -> None:
    cell = _cell(numerator=45.0, denominator=50.0, value=90.0, meets_target=True)
    assert "proxy" not in value_text(cell)
    assert coverage_text(cell) == "–"
