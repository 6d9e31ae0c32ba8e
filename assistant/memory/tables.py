"""Reading rendered table rows ("Event: ...; Date: ...; Place: ...") back into cells, and
finding a column by any of the names people give it."""

from __future__ import annotations

import re

_CELL_RE = re.compile(r"(?:^|;\s+)([^:;]{1,60}?):\s+")


def row_cells(text: str) -> dict[str, str]:
    """Header (lower-cased) -> value. Rows the loader rendered without headers give {}.
    Values may hold ':' ("Site visit: mine") — only a "; Header:" starts a new cell."""
    marks = list(_CELL_RE.finditer(text))
    if not marks or marks[0].start() != 0:
        return {}
    cells: dict[str, str] = {}
    for i, mark in enumerate(marks):
        stop = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        cells.setdefault(mark.group(1).strip().lower(), text[mark.end():stop].strip())
    return cells


def column(cells: dict[str, str], names: frozenset[str]) -> str | None:
    """The value of the first column whose header is (or starts with) one of `names`."""
    for header, value in cells.items():
        head = re.sub(r"[^\w ]", "", header).strip()
        if head in names or any(head.startswith(n + " ") for n in names):
            return value
    return None

