"""What an ingest run did with each delivered file (DEFINITIONS §2: "the run reports counts
per rule"; bad input never disappears silently).

Per file: rows_read == rows_loaded + rows_quarantined + rows_duplicate, always.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FileReport:
    """Counts for one file; `path` is relative to the landing folder (posix)."""

    path: str
    entity: str
    format: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_duplicate: int
    quarantined_by_rule: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        accounted = self.rows_loaded + self.rows_quarantined + self.rows_duplicate
        if self.rows_read != accounted:
            raise ValueError(
                f"{self.path}: {self.rows_read} rows read but {accounted} accounted for "
                f"(loaded {self.rows_loaded} + quarantined {self.rows_quarantined} + "
                f"duplicate {self.rows_duplicate})"
            )
        if sum(self.quarantined_by_rule.values()) != self.rows_quarantined:
            raise ValueError(f"{self.path}: quarantine counts per rule do not add up")

    @property
    def quarantined_fraction(self) -> float:
        return self.rows_quarantined / self.rows_read if self.rows_read else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "entity": self.entity,
            "format": self.format,
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_quarantined": self.rows_quarantined,
            "rows_duplicate": self.rows_duplicate,
            "quarantined_by_rule": dict(self.quarantined_by_rule),
        }


@dataclass(frozen=True)
class RawUpdate:
    """How raw.declarations was written: in place (`incremental`) or in full, and the rows
    the update deleted and inserted (in full: all rows inserted)."""

    incremental: bool
    deleted: int
    inserted: int

    def describe(self) -> str:
        if not self.incremental:
            return f"raw.declarations written in full: {self.inserted} rows"
        return (
            f"raw.declarations updated in place: {self.deleted} rows deleted, "
            f"{self.inserted} inserted"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "written": "in place" if self.incremental else "in full",
            "rows_deleted": self.deleted,
            "rows_inserted": self.inserted,
        }


@dataclass(frozen=True)
class IngestReport:
    """All files of one run, in sorted path order, and how raw.declarations was written."""

    files: list[FileReport]
    raw_declarations: RawUpdate | None = None

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    @property
    def rows_duplicate(self) -> int:
        return sum(f.rows_duplicate for f in self.files)

    @property
    def quarantined_by_rule(self) -> dict[str, int]:
        total: Counter[str] = Counter()
        for f in self.files:
            total.update(f.quarantined_by_rule)
        return dict(total)

    def files_over_threshold(self, fraction: float) -> list[FileReport]:
        """Files whose quarantined share of rows read is above `fraction`."""
        return [f for f in self.files if f.rows_read and f.quarantined_fraction > fraction]

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": [f.to_dict() for f in self.files],
            "totals": {
                "files": len(self.files),
                "rows_read": self.rows_read,
                "rows_loaded": self.rows_loaded,
                "rows_quarantined": self.rows_quarantined,
                "rows_duplicate": self.rows_duplicate,
                "quarantined_by_rule": self.quarantined_by_rule,
            },
            **(
                {"raw_declarations": self.raw_declarations.to_dict()}
                if self.raw_declarations
                else {}
            ),
        }
