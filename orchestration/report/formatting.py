"""Dutch display of indicator numbers, units and statuses (decimal comma, thousands point)."""

from __future__ import annotations

import datetime as dt

from orchestration.report.data import Cell

SUPPRESSED_TEXT = "onderdrukt"
# DEFINITIONS §7: a cell whose needed fact is known for too few members: never a number, never 0.
INSUFFICIENT_TEXT = "onvoldoende gegevens"
# DEFINITIONS §7: a cell resting on proxy facts (a start of care taken from declarations).
PROXY_TEXT = "proxy"
PROVISIONAL_TEXT = "voorlopig"
FINAL_TEXT = "definitief"
ALL_SEGMENTS = "alle segmenten"

# Units of dim_indicators / fct_indicator_values → Dutch axis and column label.
UNIT_LABELS = {
    "percent": "%",
    "clients": "jeugdigen",
    "care_days": "etmalen",
    "days": "dagen",
    "euro": "euro",
    "euro_per_client": "euro per jeugdige",
    "hours_per_client": "uren per jeugdige",
    "places": "plaatsen",
    "transitions": "overgangen",
}
DIRECTION_LABELS = {
    "lower_is_better": "lager is beter",
    "higher_is_better": "hoger is beter",
}
_MONTHS = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)


def unit_label(unit: str) -> str:
    return UNIT_LABELS.get(unit, unit)


def segment_label(segment: str) -> str:
    return segment if segment else ALL_SEGMENTS


def number_nl(value: float, decimals: int) -> str:
    """`1234.5` → `1.234,5` (Dutch separators); -0 is shown as 0."""
    text = f"{abs(value):,.{decimals}f}".replace(",", "_").replace(".", ",").replace("_", ".")
    negative = value < 0 and text.strip("0,.") != ""
    return f"-{text}" if negative else text


def _decimals(value: float, unit: str) -> int:
    if unit == "percent":
        return 1
    if unit.startswith("euro"):
        return 0 if abs(value) >= 100 else 2
    if float(value).is_integer():
        return 0
    return 1 if abs(value) >= 10 else 2


def format_value(value: float | None, unit: str) -> str:
    """A number in its unit: `12,5 %`, `€ 1.234`, `17` (empty value → `–`)."""
    if value is None:
        return "–"
    text = number_nl(value, _decimals(value, unit))
    if unit == "percent":
        return f"{text} %"
    if unit == "euro":
        return f"€ {text}"
    if unit == "euro_per_client":
        return f"€ {text}"
    return text


def format_count(value: float | None) -> str:
    """A numerator or denominator: whole numbers without decimals, others with at most two."""
    if value is None:
        return "–"
    if float(value).is_integer():
        return number_nl(value, 0)
    return number_nl(value, 2).rstrip("0").rstrip(",")


def value_text(cell: Cell) -> str:
    """The value of a cell; a suppressed cell never shows a number, an insufficient one says so
    (never 0), a proxy one says it rests on proxy facts (DEFINITIONS §7)."""
    if cell.suppressed:
        return SUPPRESSED_TEXT
    if cell.insufficient:
        return INSUFFICIENT_TEXT
    value = format_value(cell.value, cell.unit)
    return f"{value} ({PROXY_TEXT})" if cell.data_quality == "proxy" else value


def coverage_text(cell: Cell) -> str:
    """§7 coverage as a percentage of the cell's members; – for indicators without it."""
    if cell.coverage is None:
        return "–"
    return f"{number_nl(100 * cell.coverage, 0)}%"


def status_text(cell: Cell) -> str:
    return FINAL_TEXT if cell.is_final else PROVISIONAL_TEXT


def meets_target_text(cell: Cell) -> str:
    if cell.suppressed or cell.insufficient or cell.meets_target is None:
        return "–"
    return "ja" if cell.meets_target else "nee"


def date_nl(value: dt.date | None) -> str:
    if value is None:
        return "onbekend"
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def timestamp_nl(value: dt.datetime | None) -> str:
    """published_at is stored in UTC (orchestration/publish.py)."""
    if value is None:
        return "onbekend"
    return f"{date_nl(value.date())} {value:%H:%M} UTC"
