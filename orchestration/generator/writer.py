"""Write generated tables as part files: `<entity>/<year>-part-<part>.csv|parquet`.

A part holds a range of clients; within a part, rows are split by the year in which they were
delivered (the submission year of a declaration line, the dagtekening year of an allocation
version), so file names sort in delivery order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

FORMATS = ("csv", "parquet", "xml")
PART_FORMATS = ("csv", "parquet")
_CSV_OPTIONS = pcsv.WriteOptions(include_header=False, quoting_style="none", delimiter=",")


class PartWriter:
    """Streams the tables of one entity and one part into per-year files."""

    def __init__(self, folder: Path, part: int, fmt: str) -> None:
        if fmt not in PART_FORMATS:
            raise ValueError(f"format must be one of {PART_FORMATS}, not {fmt!r}")
        self._folder = folder
        self._part = part
        self._fmt = fmt
        self._open: dict[int, tuple[object, object]] = {}
        self.files: list[Path] = []

    def write(self, table: pa.Table, years: np.ndarray) -> None:
        """Append rows; `years` (ascending) gives each row's file year."""
        if table.num_rows == 0:
            return
        distinct, first = np.unique(years, return_index=True)
        bounds = [*first.tolist(), table.num_rows]
        for i, year in enumerate(distinct.tolist()):
            self._write_year(int(year), table.slice(bounds[i], bounds[i + 1] - bounds[i]))

    def close(self) -> list[Path]:
        for sink, writer in self._open.values():
            if writer is not None:
                writer.close()  # type: ignore[attr-defined]
            sink.close()  # type: ignore[attr-defined]
        self._open.clear()
        return self.files

    def _write_year(self, year: int, table: pa.Table) -> None:
        if year not in self._open:
            path = self._folder / f"{year}-part-{self._part:04d}.{self._fmt}"
            self._folder.mkdir(parents=True, exist_ok=True)
            sink = pa.OSFile(str(path), "wb")
            if self._fmt == "csv":
                sink.write((",".join(table.column_names) + "\n").encode("utf-8"))
                writer = None
            else:
                writer = pq.ParquetWriter(sink, table.schema, compression="zstd")
            self._open[year] = (sink, writer)
            self.files.append(path)
        sink, writer = self._open[year]
        if writer is None:
            pcsv.write_csv(table, sink, write_options=_CSV_OPTIONS)
        else:
            writer.write_table(table)  # type: ignore[attr-defined]
