"""Plain text and markdown → `Para`s: header lines, `#` headings, list items, tables.

Only what the text states by convention is decided here (markdown syntax, tab/pipe tables);
guesses about unmarked headings and form questions are left to `structure`.
"""

from __future__ import annotations

import re
from itertools import pairwise

from assistant.ingest.markup import clean_inline, render_row
from assistant.ingest.paras import SENTENCE_END, Para

# `Visibility:` (access control, ingest/access_rules.py) is metadata too: never content. The
# access reader calls `split_header` itself, so a header is read one way for both purposes.
_HEADER_RE = re.compile(r"^(source|url|title|visibility)\s*:\s*(.*\S)\s*$", re.IGNORECASE)
_MD_HEADING_RE = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_STAR_QUESTION_RE = re.compile(r"^\*{3}\s*(.+?)\s*\*{2}:?$")
_BOLD_LINE_RE = re.compile(r"^\*\*\s*([^*].*?)\s*\*\*:?$")
_BULLET_RE = re.compile(r"^([-*+•▪◦‣●–])\s+(\S.*)$")
_NUMBERED_RE = re.compile(r"^(\d{1,2}[.)])\s+(\S.*)$")
_PIPE_SEP_RE = re.compile(r"^\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?$")
_PIPE_SPLIT_RE = re.compile(r"(?<!\\)\|")
_HEAD_LINES = 256  # header lines and front matter are looked for this far down, no further
_FRONT_MATTER_LINES = 50  # a `---` block longer than this is a horizontal rule, not front matter
_STRAY_WINDOW = 10  # non-blank lines after the header in which a `Visibility:` line is an error
_VISIBILITY_KEY_RE = re.compile(r"^(\s*)visibility\s*:\s*(.*?)\s*$", re.IGNORECASE)
_KEY_LINE_RE = re.compile(r"^\s*[A-Za-z][\w ()/-]{0,40}:")  # `Author: …`, not prose
_HOW = "write one line `Visibility: restricted channels=C… users=U…` at the top of the file"


class HeaderError(ValueError):
    """The header mentions visibility but cannot be read: the file must fail with this reason
    rather than be indexed as public."""


class IncompleteHead(Exception):
    """`split_header(..., partial=True)` needs more of the text to decide (see access_rules)."""


def _front_matter_end(lines: list[str], i: int, incomplete: bool) -> int | None:
    """Index after a `---` … `---` front-matter block starting at line i (None if unclosed)."""
    stop = min(len(lines), i + _FRONT_MATTER_LINES)
    for j in range(i + 1, stop):
        if lines[j].strip() in ("---", "..."):
            return j + 1
    if incomplete and stop == len(lines):
        raise IncompleteHead
    if any(_VISIBILITY_KEY_RE.match(line) for line in lines[i + 1 : stop]):
        raise HeaderError(f"front matter opened with `---` is never closed, so its visibility "
                          f"cannot be read: close it with `---`, or {_HOW}")
    return None


def _front_matter_meta(block: list[str]) -> dict[str, str]:
    meta: dict[str, str] = {}
    for line in block:
        if vis := _VISIBILITY_KEY_RE.match(line):
            indent, value = vis.group(1), vis.group(2).strip("\"'")
            if indent or not value or value[0] in "|>&*!":
                raise HeaderError(f"front-matter `visibility:` must be a top-level key with its "
                                  f"value on the same line (e.g. `visibility: restricted "
                                  f"channels=C123`), not {line.strip()!r}")
            if meta.get("visibility", value) != value:
                raise HeaderError(f"two different `visibility:` values in the front matter: {_HOW}")
            meta["visibility"] = value
        elif m := _HEADER_RE.match(line.strip()):
            meta[m.group(1).lower()] = m.group(2).strip("\"'")
    if "url" in meta:
        meta.setdefault("source", meta.pop("url"))
    return meta


def _check_no_stray_visibility(lines: list[str], i: int, incomplete: bool) -> None:
    """A `Visibility:` line among the `Key: value` lines just below the header (after a blank
    line, a repeated one, one under an unknown key such as `Author:`) would otherwise be
    indexed as text and its document as public. The first line of prose ends the search."""
    seen = 0
    for line in lines[i:]:
        if not line.strip():
            continue
        if _VISIBILITY_KEY_RE.match(line):
            raise HeaderError(f"a `Visibility:` line below the header block ({line.strip()!r}) "
                              f"is not applied: {_HOW} (only Source:/Title: lines before it)")
        seen += 1
        if not _KEY_LINE_RE.match(line) or seen >= _STRAY_WINDOW:
            return
    if incomplete:
        raise IncompleteHead


def split_header(text: str, *, partial: bool = False) -> tuple[dict[str, str], str]:
    """Pull `Source:`/`Title:`/`Visibility:` header lines (or markdown front matter) off the top.

    They are metadata (Document.url/title, access), not content, so they must not reach the
    text. Only the first lines are split off: a 50 MB file is not copied line by line for this.
    Raises HeaderError when a visibility line is there but cannot be applied. `partial=True`
    means `text` is only the start of a file: IncompleteHead if that is not enough to decide."""
    parts = text.split("\n", _HEAD_LINES)  # parts[_HEAD_LINES], if any, is the rest of the text
    lines = parts[:_HEAD_LINES]
    incomplete = partial and len(parts) <= _HEAD_LINES
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i < len(lines) and lines[i].strip() == "---":
        end = _front_matter_end(lines, i, incomplete)
        if end is not None:
            meta = _front_matter_meta(lines[i + 1 : end - 1])
            _check_no_stray_visibility(lines, end, incomplete)
            return meta, "\n".join(parts[end:])
    meta: dict[str, str] = {}
    while i < len(lines):
        match = _HEADER_RE.match(lines[i].strip())
        key = match.group(1).lower() if match else ""
        if not match or key in meta or (key == "url" and "source" in meta):
            break
        meta["source" if key == "url" else key] = match.group(2)
        i += 1
    _check_no_stray_visibility(lines, i, incomplete)
    if not meta:
        return {}, text
    return meta, "\n".join(parts[i:])


def _field_count(line: str) -> int:
    return line.count("\t") + 1


def _tab_table(lines: list[str], i: int) -> tuple[list[str], int] | None:
    """A tab-separated table starting at line i: header then rows with the same field count.

    Blank lines inside the table are skipped when the next line continues it (exports often
    break tables with stray empty lines)."""
    header = lines[i].split("\t")
    if len(header) < 2 or sum(1 for h in header if h.strip()) < 2:
        return None
    rows: list[list[str]] = []
    j = i + 1
    while j < len(lines):
        if not lines[j].strip():
            k = j
            while k < len(lines) and not lines[k].strip():
                k += 1
            if rows and k < len(lines) and _field_count(lines[k]) == len(header):
                j = k
                continue
            break
        if _field_count(lines[j]) != len(header):
            break
        rows.append(lines[j].split("\t"))
        j += 1
    if not rows:
        return None
    return [r for r in (render_row(header, cells) for cells in rows) if r], j


def _pipe_cells(line: str) -> list[str]:
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    return [c.strip().replace("\\|", "|") for c in _PIPE_SPLIT_RE.split(body)]


def _pipe_table(lines: list[str], i: int) -> tuple[list[str], int] | None:
    """A markdown pipe table: header row, `|---|` separator, rows containing `|`."""
    if "|" not in lines[i] or i + 1 >= len(lines) or "|" not in lines[i + 1]:
        return None
    if not _PIPE_SEP_RE.match(lines[i + 1].strip()):
        return None
    header = _pipe_cells(lines[i])
    j = i + 2
    rendered: list[str] = []
    while j < len(lines) and lines[j].strip() and "|" in lines[j]:
        row = render_row(header, _pipe_cells(lines[j]))
        if row:
            rendered.append(row)
        j += 1
    return rendered, j


def line_paras(raw: str) -> list[Para]:
    """Classify one non-blank, non-table line (markdown heading, form question, list, text)."""
    line = raw.strip()
    if match := _MD_HEADING_RE.match(line):
        text = clean_inline(match.group(2)).replace("\n", " ")
        return [Para(text, "heading", level=len(match.group(1)), explicit=True)] if text else []
    if match := _STAR_QUESTION_RE.match(line):
        return [Para(clean_inline(match.group(1)), star=True, bold=True, marker="*")]
    if match := _BOLD_LINE_RE.match(line):
        return [Para(clean_inline(match.group(1)), bold=True)]
    if match := _BULLET_RE.match(line) or _NUMBERED_RE.match(line):
        marker, rest = match.group(1), clean_inline(match.group(2)).replace("\n", " ")
        text = f"{marker} {rest}" if marker[0].isdigit() else rest
        return [Para(text, "list_item", marker=marker)] if rest else []
    cleaned = clean_inline(line)
    return [Para(part) for part in cleaned.split("\n") if part]


def _continues_item(prev: Para | None, raw: str, gap: bool) -> bool:
    """An indented (or lowercase-starting) line right under a list item continues that item."""
    if gap or prev is None or prev.kind != "list_item":
        return False
    stripped = raw.strip()
    if _BULLET_RE.match(stripped) or _NUMBERED_RE.match(stripped):
        return False
    return raw[:1] in (" ", "\t") or stripped[:1].islower()


def scan_lines(text: str) -> list[Para]:
    """Split a text body into line-level `Para`s with paragraph-break flags."""
    lines = text.split("\n")
    paras: list[Para] = []
    more: list[str] = []  # continuation lines of paras[-1], joined once (not per line)
    gap = True
    i = 0
    while i < len(lines):
        raw = lines[i]
        if not raw.strip():
            gap, i = True, i + 1
            continue
        table = _tab_table(lines, i) if "\t" in raw else _pipe_table(lines, i)
        if table is not None:
            _extend_last(paras, more)
            rows, i = table
            for n, row in enumerate(rows):
                paras.append(Para(row, "table_row", gap_before=gap or n == 0, explicit=True))
            gap = True
            continue
        prev = paras[-1] if paras else None
        if prev is not None and _continues_item(prev, raw, gap):
            more.append(clean_inline(raw).replace("\n", " "))
        else:
            _extend_last(paras, more)
            for para in line_paras(raw):
                para.gap_before, gap = gap, False
                paras.append(para)
        i += 1
    _extend_last(paras, more)
    _set_gap_after(paras)
    return paras


def _extend_last(paras: list[Para], more: list[str]) -> None:
    """Append the collected continuation lines to the list item they continue."""
    if more:
        paras[-1].text = " ".join(p for p in (paras[-1].text, *more) if p).strip()
        more.clear()


def _set_gap_after(paras: list[Para]) -> None:
    for para, nxt in pairwise(paras):
        para.gap_after = nxt.gap_before
    if paras:
        paras[-1].gap_after = True


def unwrap(paras: list[Para], *, dehyphenate: bool = False) -> list[Para]:
    """Join hard-wrapped lines back into one paragraph line (optionally undoing `hyph-\\nen`).

    Linear: each joined paragraph's pieces are collected and joined once (appending to a
    growing string made a 50 MB file of wrapped lines quadratic)."""
    out: list[Para] = []
    pieces: list[str] = []  # text of out[-1], still to be joined
    for para in paras:
        if out and _joinable_tail(out[-1], pieces[-1], para):
            head = pieces[-1].rstrip()
            if dehyphenate and head.endswith("-") and head[-2:-1].isalpha():
                pieces[-1] = head[:-1]
                pieces.append(para.text)
            else:
                pieces[-1] = head
                pieces.append(f" {para.text}")
            out[-1].gap_after = para.gap_after
            continue
        _close(out, pieces)
        out.append(para)
        pieces = [para.text]
    _close(out, pieces)
    return out


def _close(out: list[Para], pieces: list[str]) -> None:
    if out and len(pieces) > 1:
        out[-1].text = "".join(pieces)


def _joinable_tail(first: Para, tail: str, second: Para) -> bool:
    """`_joinable` judged on the last piece of a paragraph that is still being joined."""
    if second.gap_before or first.kind != "text" or second.kind != "text":
        return False
    if first.bold or first.star or second.bold or second.star:
        return False
    end = tail.rstrip()
    return bool(end) and end[-1] not in SENTENCE_END + ":;" and second.text[:1].islower()
