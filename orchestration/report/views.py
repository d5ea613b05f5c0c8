"""Group the published cells into what one report section shows: a regio × indicator.

A section has the yearly series per segment (segment '' = all segments, shown first) and, for
the most recent year with provider figures, the values per aanbieder per segment.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from orchestration.report.data import Cell, Indicator, ReportData

UNKNOWN_REGIO = "onbekend"  # REFERENCE_DATA: a gemeente outside every configured region


@dataclass(frozen=True)
class Series:
    """The yearly cells of one segment, in year order."""

    segment: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class ProviderComparison:
    """The cells per aanbieder of one segment in one year: highest value first, suppressed last."""

    segment: str
    year: int
    cells: tuple[Cell, ...]


@dataclass
class Section:
    regio: str
    indicator: Indicator
    series: list[Series] = field(default_factory=list)
    providers: list[ProviderComparison] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return f"{slug(self.regio)}-{slug(self.indicator.code)}"

    @property
    def unit(self) -> str:
        for group in (*self.series, *self.providers):
            for cell in group.cells:
                if cell.unit:
                    return cell.unit
        return self.indicator.unit


def slug(text: str) -> str:
    """A stable HTML id fragment: lower case, runs of other characters become one '-'."""
    return re.sub(r"[^a-z0-9_]+", "-", text.lower()).strip("-") or "x"


def _regio_order(regio: str) -> tuple[bool, str]:
    return (regio == UNKNOWN_REGIO, regio)


def _provider_order(cell: Cell) -> tuple[bool, float, str]:
    shown = not cell.suppressed and cell.value is not None
    return (not shown, -(cell.value or 0.0) if shown else 0.0, cell.aanbieder_agb)


def build_sections(data: ReportData) -> dict[str, list[Section]]:
    """regio → its sections, regions alphabetically ('onbekend' last), indicators in catalogue
    order (dim_indicators), then indicators missing from the catalogue by code."""
    series: dict[tuple[str, str], dict[str, list[Cell]]] = defaultdict(lambda: defaultdict(list))
    for cell in data.regio_cells:
        series[(cell.regio, cell.indicator_code)][cell.segment].append(cell)
    providers: dict[tuple[str, str], dict[str, list[Cell]]] = defaultdict(lambda: defaultdict(list))
    for cell in data.provider_cells:
        providers[(cell.regio, cell.indicator_code)][cell.segment].append(cell)

    catalogue_rank = {code: i for i, code in enumerate(data.indicators)}
    keys = sorted(
        set(series) | set(providers),
        key=lambda k: (
            _regio_order(k[0]),
            catalogue_rank.get(k[1], len(catalogue_rank)),
            k[1],
        ),
    )
    sections: dict[str, list[Section]] = {}
    for regio, code in keys:
        indicator = data.indicators.get(code) or Indicator(code=code, name_nl=code)
        section = Section(regio=regio, indicator=indicator)
        for segment in sorted(series.get((regio, code), {})):
            cells = sorted(series[(regio, code)][segment], key=lambda c: c.period_year)
            section.series.append(Series(segment, tuple(cells)))
        for segment in sorted(providers.get((regio, code), {})):
            cells = sorted(providers[(regio, code)][segment], key=_provider_order)
            section.providers.append(
                ProviderComparison(segment, cells[0].period_year, tuple(cells))
            )
        sections.setdefault(regio, []).append(section)
    return sections
