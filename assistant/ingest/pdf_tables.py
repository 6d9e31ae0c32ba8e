"""Tables in a PDF page, found from column alignment and matched back to the page's text.

pypdf's plain text gives a table as one cell per line ("Event", "Date", "Place", "1",
"Results of the scoping note - next step", "12-13.2.2020", …): the row, and so what each value
means, is lost. Its layout mode keeps every line's horizontal positions, which is where a table
shows: a header line of two or more cells separated by wide gaps, then lines whose cells start
under the header's cells (a leading row number may stand left of the first column). A table is
only used when its cells, read row by row, are exactly a run of lines of the plain text, so the
two views agree on what it holds; the plain lines are then replaced by rendered rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.ingest.markup import render_row

_SEGMENT_RE = re.compile(r"\S+(?: \S+)*")  # text between gaps of two or more spaces
_NUMBER_RE = re.compile(r"^\d{1,3}[.)]?$")
_LETTER_RE = re.compile(r"[^\W\d_]")
_ALIGN = 2  # columns of slack when a cell starts under a header cell


@dataclass(frozen=True, slots=True)
class Table:
    """Header cells and body rows (cells aligned to the header; a row-number column first when
    the table has one) of one table on one page."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def cells_in_order(self) -> list[str]:
        return [c for row in (self.header, *self.rows) for c in row if c]

    def rendered(self) -> list[str]:
        return [r for r in (render_row(self.header, row) for row in self.rows) if r]


def _segments(line: str) -> list[tuple[int, str]]:
    return [(m.start(), m.group()) for m in _SEGMENT_RE.finditer(line)]


def _row_cells(line: str, starts: list[int]) -> list[str] | None:
    """[row number, cell under each header cell], or None when the line does not fit.

    A segment must start under a header cell (within `_ALIGN` columns), except a row number
    left of the first one. In a line of several segments, one running over the next column's
    start is cut there: cells set close together come out of layout mode glued ("…business plan
    developmentOctober/November"). A lone segment may not be cut: that is a line of prose."""
    segments = _segments(line)
    cells = [""] * (len(starts) + 1)
    for start, text in segments:
        column = next((k for k, s in enumerate(starts) if abs(start - s) <= _ALIGN), None)
        if column is None:
            if start < starts[0] - _ALIGN and _NUMBER_RE.match(text) and not any(cells):
                cells[0] = text
                continue
            return None
        while True:
            nxt = starts[column + 1] if column + 1 < len(starts) else None
            cut = nxt is not None and start < nxt < start + len(text)
            if cut and len(segments) == 1:
                return None
            at = _cut_point(text, nxt - start) if cut else len(text)
            piece, rest = text[:at], text[at:]
            if cells[column + 1]:
                return None
            cells[column + 1] = piece.strip()
            if not rest.strip():
                break
            text, start, column = rest, nxt, column + 1  # type: ignore[assignment]
    return cells


def _cut_point(text: str, at: int) -> int:
    """Where to cut glued cells near offset `at`: a word boundary, else a lower-to-upper case
    change ("developmentOctober"), else `at` itself."""
    near = range(max(1, at - _ALIGN), min(len(text), at + _ALIGN + 1))
    for test in (lambda p: text[p - 1] == " ",
                 lambda p: text[p - 1].islower() and (text[p].isupper() or text[p].isdigit())):
        found = [p for p in near if test(p)]
        if found:
            return min(found, key=lambda p: abs(p - at))
    return at


def _header_cell(text: str) -> bool:
    """A column header is a short label: a few words with a letter, not a sentence."""
    return bool(_LETTER_RE.search(text)) and len(text.split()) <= 6 and text[-1] not in ".!?;,"


def find_tables(layout_text: str) -> list[Table]:
    """Tables in one page's layout-mode text (see the module docstring)."""
    lines = layout_text.split("\n")
    tables: list[Table] = []
    i = 0
    while i < len(lines):
        header = _segments(lines[i])
        if len(header) < 2 or not all(_header_cell(t) for _, t in header):
            i += 1
            continue
        starts = [s for s, _ in header]
        rows: list[list[str]] = []
        j = i + 1
        while j < len(lines):
            if lines[j].strip():
                cells = _row_cells(lines[j], starts)
                if cells is None:
                    break
                rows.append(cells)
            j += 1
        if any(sum(1 for c in row[1:] if c) >= 2 for row in rows):
            heads = tuple(t for _, t in header)
            if any(row[0] for row in rows):
                tables.append(Table(("", *heads), tuple(tuple(r) for r in rows)))
            else:
                tables.append(Table(heads, tuple(tuple(r[1:]) for r in rows)))
            i = j
        else:
            i += 1
    return tables


def locate(table: Table, lines: list[str]) -> tuple[int, int] | None:
    """The run of plain-text lines [a, b) holding exactly the table's cells, or None."""
    want = " ".join(table.cells_in_order()).split()
    for a in range(len(lines)):
        got: list[str] = []
        for b in range(a, len(lines)):
            got.extend(lines[b].split())
            if got != want[: len(got)]:
                break
            if len(got) == len(want):
                return a, b + 1
    return None
