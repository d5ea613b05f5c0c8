"""Plain-text tables and number formats for the benchmark output (Markdown-compatible)."""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.procmem import GIB, MIB


def render(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table; numbers (and '-') right-aligned."""
    cells = [[str(c) for c in headers], *[[_cell(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    numeric = [
        all(_is_number(r[i]) for r in cells[1:]) and len(cells) > 1 for i in range(len(headers))
    ]

    def line(row: list[str]) -> str:
        parts = [
            c.rjust(w) if num else c.ljust(w)
            for c, w, num in zip(row, widths, numeric, strict=True)
        ]
        return "| " + " | ".join(parts) + " |"

    rule = "|" + "|".join(
        ("-" * (w + 1) + ":") if num else ("-" * (w + 2))
        for w, num in zip(widths, numeric, strict=True)
    )
    return "\n".join([line(cells[0]), rule + "|", *(line(r) for r in cells[1:])])


def _cell(value: object) -> str:
    return "-" if value is None else str(value)


def _is_number(text: str) -> bool:
    stripped = text.replace(",", "").replace(".", "").replace("%", "").replace("×", "")
    for unit in (" GiB", " MiB", " s"):
        stripped = stripped.removesuffix(unit)
    return stripped == "-" or stripped.lstrip("-").isdigit()


def seconds(value: float | None) -> str | None:
    return None if value is None else f"{value:,.1f}"


def count(value: int | None) -> str | None:
    return None if value is None else f"{value:,}"


def rate(rows: int | None, secs: float | None) -> str | None:
    if rows is None or not secs:
        return None
    return f"{rows / secs:,.0f}"


def memory(value: int | None) -> str | None:
    if not value:
        return None
    if value >= GIB:
        return f"{value / GIB:,.2f} GiB"
    return f"{value / MIB:,.0f} MiB"


def share(part: float, whole: float) -> str | None:
    return None if not whole else f"{100 * part / whole:.0f}%"
