"""Plain-Python inspection of a CSV file's bytes: binary or text, encoding, header, delimiter.

DEFINITIONS §2: CSV files are UTF-8, comma or semicolon separated, with a header row. These
helpers look only at the first bytes of a file (and, when a file has already failed to
parse, scan it once for the first line that is not UTF-8), so the readers can reject a bad
file with a message that says what is wrong before any data is loaded.
"""

from __future__ import annotations

import csv
from pathlib import Path

UTF8_BOM = b"\xef\xbb\xbf"
DELIMITERS = (",", ";")
HEAD_BYTES = 64 * 1024
MAX_HEADER_BYTES = 1024 * 1024

# Magic numbers of file types that are sometimes given a .csv name by mistake.
_MAGIC = (
    (b"PAR1", "is a Parquet file, not CSV text; give it the .parquet extension"),
    (b"PK\x03\x04", "is a ZIP archive (an Excel .xlsx workbook?), not CSV text; export it as CSV"),
    (b"\xd0\xcf\x11\xe0", "is an Excel/Office binary file, not CSV text; export it as CSV"),
    (b"\xff\xfe", "is UTF-16 encoded; re-export it as UTF-8"),
    (b"\xfe\xff", "is UTF-16 encoded; re-export it as UTF-8"),
)
_TEXT_CONTROLS = {0x09, 0x0A, 0x0C, 0x0D}


def binary_reason(head: bytes) -> str | None:
    """Why the first bytes of a file are not CSV text, or None when they look like text."""
    for magic, reason in _MAGIC:
        if head.startswith(magic):
            return reason
    if b"\x00" in head:
        return "is a binary file (it contains NUL bytes), not CSV text; export it as UTF-8 CSV"
    controls = sum(1 for b in head if b < 0x20 and b not in _TEXT_CONTROLS)
    if head and controls / len(head) > 0.05:
        return "is a binary file (many control bytes), not CSV text; export it as UTF-8 CSV"
    return None


def header_line(path: Path) -> bytes:
    """The first line of the file (without line end and UTF-8 byte order mark)."""
    with path.open("rb") as fh:
        line = fh.readline(MAX_HEADER_BYTES)
    if line.startswith(UTF8_BOM):
        line = line[len(UTF8_BOM) :]
    return line.rstrip(b"\r\n")


def sniff_delimiter(header: str) -> str:
    """The delimiter (comma or semicolon) that splits the header into the most fields."""
    counts = {d: len(parse_header(header, d)) for d in DELIMITERS}
    return max(DELIMITERS, key=lambda d: (counts[d], d == ","))


def parse_header(header: str, delimiter: str) -> list[str]:
    """Column names of a header line, stripped of surrounding whitespace."""
    fields = next(csv.reader([header], delimiter=delimiter, quotechar='"'), [])
    return [f.strip() for f in fields]


def first_non_utf8_line(path: Path) -> int | None:
    """The 1-based physical line number of the first line that is not valid UTF-8, if any."""
    with path.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return None
