"""Clean-up of markup left behind in exported text, and rendering of table rows.

Exported forms (EU survey reports) leak HTML into plain text: radio buttons standing for the
answer a respondent ticked, `<br>` tags, `<https://…>` autolinks and `**bold**` markers. None of
that is readable text, but the *ticked radio button* carries the answer, so it is translated into
the header of the checked column instead of being thrown away.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

#: Stands for a ticked radio button/checkbox inside a table cell until the row is rendered.
CHECKED = "\x00checked\x00"

_INPUT_RE = re.compile(r"<input\b[^>]*>", re.IGNORECASE)
_CHOICE_RE = re.compile(r"""type\s*=\s*["']?(radio|checkbox)""", re.IGNORECASE)
_CHECKED_RE = re.compile(r"\bchecked\b", re.IGNORECASE)
_AUTOLINK_RE = re.compile(r"<((?:https?|ftp)://[^<>\s]+|mailto:[^<>\s]+)>", re.IGNORECASE)
_BR_RE = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG_RE = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>")
# Both patterns are bounded so that a long line of unclosed "[" or "**" stays linear: from
# every opener an unbounded pattern rescanned the rest of the line (a 40 KB line took 20 s).
_MD_LINK_RE = re.compile(r"!?\[([^\[\]\n]{0,500})\]\((?:https?://|mailto:|/|#)[^)\s]{0,2000}\)")
_BOLD_RE = re.compile(r"\*\*(\S(?:[^\n]{0,500}?\S)?)\*\*")
_NUMBER_CELL_RE = re.compile(r"^(?:#|no\.?\s*)?\d{1,4}[.)]?$", re.IGNORECASE)
_SPACES_RE = re.compile(r"[ \t\u00a0]+")
_MARKUP_CHAR_RE = re.compile(r"[<&*\[]")


def cell_choice(cell: str) -> str | None:
    """Translate a form-input cell: CHECKED if ticked, "" if not, None if it is not an input.

    Unticked options are noise; the ticked one becomes its column header when rendered."""
    inputs = _INPUT_RE.findall(cell)
    if not inputs or not any(_CHOICE_RE.search(tag) for tag in inputs):
        return None
    return CHECKED if any(_CHECKED_RE.search(tag) for tag in inputs) else ""


def clean_inline(text: str) -> str:
    """Readable text from a line that may hold leftover markup.

    Autolinks keep their URL, markdown links their text, `<br>` becomes a line break, any other
    tag is dropped (its text kept), entities are decoded and `**bold**` markers removed."""
    if _MARKUP_CHAR_RE.search(text):  # most lines hold no markup: skip seven passes
        text = _AUTOLINK_RE.sub(r"\1", text)
        text = _MD_LINK_RE.sub(r"\1", text)
        text = _BR_RE.sub("\n", text)
        text = _INPUT_RE.sub("", text)
        text = _TAG_RE.sub("", text)
        text = html.unescape(text)
        text = _BOLD_RE.sub(r"\1", text)
    lines = (_SPACES_RE.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def clean_cell(cell: str) -> str:
    """A table cell as one line of readable text (or CHECKED for a ticked input)."""
    choice = cell_choice(cell)
    if choice is not None:
        return choice
    return clean_inline(cell).replace("\n", " ")


def _is_number_cell(value: str) -> bool:
    return not value or bool(_NUMBER_CELL_RE.match(value))


def render_row(headers: Sequence[str], cells: Sequence[str]) -> str | None:
    """Render one table row as "Header1: value1; Header2: value2", or None to drop it.

    A row is only understandable with its headers, so they are repeated on every row; empty cells
    are skipped. A leading column without a header is either a row number (dropped) or a row
    label ("Goal 1. …") that prefixes the row. Radio rows render as "Label: <checked header>".
    Rows with nothing but a number are empty template rows and are dropped.
    """
    heads = [clean_cell(h) for h in headers]
    vals = [clean_cell(c) for c in cells]
    vals += [""] * (len(heads) - len(vals))
    heads += [""] * (len(vals) - len(heads))
    label = ""
    if heads and not heads[0]:
        label = "" if _is_number_cell(vals[0]) else vals[0]
        heads, vals = heads[1:], vals[1:]
    if CHECKED in vals:
        ticked = [h or "checked" for h, v in zip(heads, vals, strict=True) if v == CHECKED]
        answer = ", ".join(ticked)
        return f"{label}: {answer}" if label else answer
    pairs = [f"{h}: {v}" if h and h != v else v for h, v in zip(heads, vals, strict=True) if v]
    if not pairs:
        return label or None
    body = "; ".join(pairs)
    return f"{label} — {body}" if label else body
