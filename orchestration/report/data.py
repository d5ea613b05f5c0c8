"""Read what the report shows from the published warehouse (read-only).

Published contract (DEFINITIONS §6, §7): `marts.fct_indicator_values` has one row per indicator,
year, regio, gemeente, segment and aanbieder, where '' in gemeentecode, segment or aanbieder_agb
means "all"; `marts.dim_indicators` names the indicators; `meta.publication` says as of which
peildatum and when the warehouse was published.

The report shows regio-level cells (gemeentecode = ''): per segment ('' = all segments) the yearly
series, and per aanbieder the most recent year of each regio × indicator.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

VALUES_TABLE = "fct_indicator_values"
INDICATORS_TABLE = "dim_indicators"

CELL_COLUMNS = (
    "indicator_code",
    "period_year",
    "regio",
    "gemeentecode",
    "segment",
    "aanbieder_agb",
    "numerator",
    "denominator",
    "value",
    "unit",
    "baseline_value",
    "target_value",
    "meets_target",
    "is_final",
    "suppressed",
)
# DEFINITIONS §7 coverage and data quality: read when the publication has them (a warehouse
# published before they existed shows every cell as complete).
OPTIONAL_CELL_COLUMNS = ("coverage", "data_quality")
INDICATOR_COLUMNS = (
    "indicator_code",
    "name_nl",
    "definition",
    "unit",
    "direction",
    "spec_section",
    "source_document",
)


class ReportError(RuntimeError):
    """The report cannot be built; the message names the file and the reason."""


@dataclass(frozen=True)
class Publication:
    peildatum: dt.date | None = None
    published_at: dt.datetime | None = None
    run_id: str = ""


@dataclass(frozen=True)
class Indicator:
    code: str
    name_nl: str
    definition: str = ""
    unit: str = ""
    direction: str = ""
    spec_section: str = ""
    source_document: str = ""


@dataclass(frozen=True)
class Cell:
    """One published indicator value (a row of fct_indicator_values)."""

    indicator_code: str
    period_year: int
    regio: str
    gemeentecode: str
    segment: str
    aanbieder_agb: str
    numerator: float | None
    denominator: float | None
    value: float | None
    unit: str
    baseline_value: float | None
    target_value: float | None
    meets_target: bool | None
    is_final: bool
    suppressed: bool
    coverage: float | None = None
    data_quality: str = "complete"

    @property
    def insufficient(self) -> bool:
        """§7: too few members with the needed fact known; no value and no target verdict."""
        return self.data_quality == "insufficient"


@dataclass
class ReportData:
    """Everything the page needs. `missing_reason` is set when there are no indicator values."""

    warehouse: Path
    publication: Publication
    indicators: dict[str, Indicator] = field(default_factory=dict)
    regio_cells: list[Cell] = field(default_factory=list)
    provider_cells: list[Cell] = field(default_factory=list)
    missing_reason: str = ""


def _number(value: object) -> float | None:
    """A published number as float; NULL (and NaN, should a double column hold one) → None."""
    if value is None:
        return None
    number = float(value) if isinstance(value, Decimal | int | float) else float(str(value))
    return None if math.isnan(number) else number


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    rows = con.execute(
        """select count(*) from information_schema.tables
           where table_schema = ? and table_name = ?""",
        [schema, table],
    ).fetchall()
    return rows[0][0] > 0


def _publication(con: duckdb.DuckDBPyConnection) -> Publication:
    if not _table_exists(con, "meta", "publication"):
        return Publication()
    rows = con.execute(
        "select try_cast(peildatum as date), try_cast(published_at as timestamp), run_id "
        "from meta.publication"
    ).fetchall()
    if not rows:
        return Publication()
    peildatum, published_at, run_id = rows[0]
    return Publication(peildatum=peildatum, published_at=published_at, run_id=_text(run_id))


def _indicators(con: duckdb.DuckDBPyConnection) -> dict[str, Indicator]:
    """The catalogue in its published row order (the order of the indicator seed)."""
    if not _table_exists(con, "marts", INDICATORS_TABLE):
        return {}
    rows = con.execute(
        f"select {', '.join(INDICATOR_COLUMNS)} from marts.{INDICATORS_TABLE}"
    ).fetchall()
    catalogue: dict[str, Indicator] = {}
    for code, name_nl, definition, unit, direction, spec_section, source_document in rows:
        catalogue[str(code)] = Indicator(
            code=str(code),
            name_nl=_text(name_nl) or str(code),
            definition=_text(definition),
            unit=_text(unit),
            direction=_text(direction),
            spec_section=_text(spec_section),
            source_document=_text(source_document),
        )
    return catalogue


def _optional_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    present = {
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'marts' and table_name = ?",
            [VALUES_TABLE],
        ).fetchall()
    }
    return [c if c in present else f"null as {c}" for c in OPTIONAL_CELL_COLUMNS]


def _cells(con: duckdb.DuckDBPyConnection, where: str, qualify: str = "") -> list[Cell]:
    columns = [*CELL_COLUMNS, *_optional_columns(con)]
    rows = con.execute(
        f"select {', '.join(columns)} from marts.{VALUES_TABLE} where {where} "
        + (f"qualify {qualify} " if qualify else "")
        + "order by regio, indicator_code, segment, aanbieder_agb, period_year"
    ).fetchall()
    return [
        Cell(
            indicator_code=str(r[0]),
            period_year=int(r[1]),
            regio=_text(r[2]),
            gemeentecode=_text(r[3]),
            segment=_text(r[4]),
            aanbieder_agb=_text(r[5]),
            numerator=_number(r[6]),
            denominator=_number(r[7]),
            value=_number(r[8]),
            unit=_text(r[9]),
            baseline_value=_number(r[10]),
            target_value=_number(r[11]),
            meets_target=r[12],
            is_final=bool(r[13]),
            suppressed=bool(r[14]),
            coverage=_number(r[15]),
            data_quality=_text(r[16]) or "complete",
        )
        for r in rows
    ]


def load_report_data(warehouse: Path) -> ReportData:
    """Read the publication, the catalogue and the regio-level indicator cells."""
    warehouse = Path(warehouse)
    if not warehouse.is_file():
        raise ReportError(
            f"{warehouse}: the published warehouse does not exist; run `jeugdhulp run` first or "
            "point --warehouse at the published DuckDB file"
        )
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as exc:
        raise ReportError(f"{warehouse}: cannot be opened as a DuckDB database ({exc})") from exc
    try:
        data = ReportData(warehouse=warehouse, publication=_publication(con))
        data.indicators = _indicators(con)
        if not _table_exists(con, "marts", VALUES_TABLE):
            data.missing_reason = (
                f"Dit warehouse bevat (nog) geen indicatorwaarden: de tabel marts.{VALUES_TABLE} "
                "ontbreekt. Publiceer eerst met een versie van de pijplijn die de indicatoren "
                "berekent (jeugdhulp run)."
            )
            return data
        try:
            data.regio_cells = _cells(con, "gemeentecode = '' and aanbieder_agb = ''")
            # Per aanbieder only the most recent year of each regio × indicator.
            data.provider_cells = _cells(
                con,
                "gemeentecode = '' and aanbieder_agb <> ''",
                "period_year = max(period_year) over (partition by regio, indicator_code)",
            )
        except duckdb.Error as exc:
            raise ReportError(
                f"{warehouse}: marts.{VALUES_TABLE} cannot be read with the published columns "
                f"({', '.join(CELL_COLUMNS)}): {exc}"
            ) from exc
        if not data.regio_cells and not data.provider_cells:
            total = con.execute(f"select count(*) from marts.{VALUES_TABLE}").fetchall()[0][0]
            data.missing_reason = (
                f"De tabel marts.{VALUES_TABLE} is leeg: er zijn voor deze peildatum geen "
                "indicatorwaarden gepubliceerd (geen gegevens in de aangeleverde bestanden?)."
                if total == 0
                else f"De tabel marts.{VALUES_TABLE} bevat {total} rijen, maar geen enkele op "
                "regioniveau (gemeentecode leeg); dit rapport toont alleen regiocijfers."
            )
        return data
    finally:
        con.close()
