"""HTML → readable paragraphs (BeautifulSoup + lxml).

Page chrome (scripts, styles, navigation, footers, forms) is removed before walking the tree;
h1–h6 give headings, p/li/div text gives paragraphs and list items, and tables are rendered row
by row with their header cells so each row reads on its own. Only text reaches the document,
never markup.
"""

from __future__ import annotations

import re
from pathlib import Path

from assistant.ingest.loaders import decode_text
from assistant.ingest.markup import CHECKED, render_row
from assistant.ingest.paras import Extracted, Para

_NOISE_TAGS = (
    "script style noscript template nav footer form iframe svg button select textarea aside "
    "head object embed canvas"
).split()
_HEADINGS = {f"h{n}" for n in range(1, 7)}
_BLOCKS = {
    *"p div section article main header blockquote pre dl dt dd figure figcaption address".split(),
    *"center details summary body html ul ol li hr".split(),
    *"table caption thead tbody tfoot tr td th".split(),
    *_HEADINGS,
}
_LINE_BREAK = "\u2028"
_SPACE_RE = re.compile(r"\s+")
_CHARSET_RE = re.compile(rb"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_MAX_CELL_WORDS = 150


def _decode(data: bytes, path: Path) -> str:
    """A charset the page declares wins (a guess cannot beat it); otherwise, or if the
    declaration is wrong or unknown, the bytes are read like any text file."""
    match = _CHARSET_RE.search(data[:4096])
    declared = match.group(1).decode("ascii").lower() if match else ""
    if declared and declared.replace("-", "").replace("_", "") not in ("utf8", "utf16"):
        try:
            text = data.decode(declared)
        except (LookupError, UnicodeDecodeError):
            text = ""
        if text and "\x00" not in text[:8192]:  # binary bytes go on to be refused below
            return text
    return decode_text(data, path)


def _text(node) -> str:
    """Visible text of a node: whitespace collapsed, <br> kept as line breaks."""
    raw = node.get_text("") if hasattr(node, "get_text") else str(node)
    lines = (_SPACE_RE.sub(" ", part).strip() for part in raw.split(_LINE_BREAK))
    return "\n".join(line for line in lines if line)


def _add_text(text: str, out: list[Para], *, bold: bool = False) -> None:
    lines = text.split("\n")
    for n, line in enumerate(lines):
        out.append(
            Para(
                line,
                gap_before=n == 0,
                gap_after=n == len(lines) - 1,
                bold=bold and len(lines) == 1,
            )
        )


def _has_block(node) -> bool:
    return any(getattr(d, "name", None) in _BLOCKS for d in node.descendants)


def _is_bold_only(node) -> bool:
    """<p><strong>Heading</strong></p>: all visible text inside one strong/b element."""
    children = [c for c in node.children if not (isinstance(c, str) and not c.strip())]
    return len(children) == 1 and getattr(children[0], "name", None) in ("strong", "b")


def _cell_value(cell) -> str:
    inputs = [
        i for i in cell.find_all("input") if (i.get("type") or "").lower() in ("radio", "checkbox")
    ]
    if inputs:
        return CHECKED if any(i.has_attr("checked") for i in inputs) else ""
    return _text(cell).replace("\n", " ")


def _table_rows(table) -> list[list[str]]:
    rows = []
    for tr in table.find_all("tr"):
        if tr.find_parent("table") is not table:
            continue
        cells: list[str] = []
        for cell in tr.find_all(["td", "th"], recursive=False):
            cells.append(_cell_value(cell))
            span = cell.get("colspan", "1")
            cells.extend(
                [""] * (int(span) - 1 if str(span).isdigit() and 1 < int(span) < 50 else 0)
            )
        if any(cells):
            rows.append(cells)
    return rows


def _is_layout_table(table) -> bool:
    """Tables used for page layout hold paragraphs, not data: walk them as normal content."""
    if table.find("table"):
        return True
    return any(len(_text(cell).split()) > _MAX_CELL_WORDS for cell in table.find_all(["td", "th"]))


def _table(table, out: list[Para]) -> None:
    if _is_layout_table(table):
        _walk(table, out)
        return
    if table.caption and _text(table.caption):
        out.append(Para(_text(table.caption).replace("\n", " ")))
    rows = _table_rows(table)
    if len(rows) < 2 or max(len(r) for r in rows) == 1:
        out.extend(
            Para("; ".join(c for c in r if c and c != CHECKED), "table_row", explicit=True)
            for r in rows
            if any(c and c != CHECKED for c in r)
        )
        return
    header = rows[0]
    for cells in rows[1:]:
        if text := render_row(header, cells):
            out.append(Para(text, "table_row", explicit=True))


def _list_item(li, out: list[Para]) -> None:
    """An <li>: its own text as one item, nested lists as further items after it."""
    nested = [c for c in li.children if getattr(c, "name", None) in ("ul", "ol", "table")]
    parts = [_inline(c) for c in li.children if not any(c is n for n in nested)]
    own = _SPACE_RE.sub(" ", "".join(parts).replace(_LINE_BREAK, " ")).strip()
    if own:
        out.append(Para(own, "list_item", explicit=True))
    for child in nested:
        _block(child, out)


def _block(node, out: list[Para]) -> None:
    name = node.name
    if name in _HEADINGS:
        if text := _text(node).replace("\n", " "):
            out.append(Para(text, "heading", level=int(name[1]), explicit=True))
    elif name in ("ul", "ol"):
        for li in node.find_all("li", recursive=False):
            _list_item(li, out)
    elif name == "li":
        _list_item(node, out)
    elif name == "table":
        _table(node, out)
    elif name in ("p", "pre", "dt", "dd", "figcaption", "caption", "summary") and not _has_block(
        node
    ):
        if text := _text(node):
            _add_text(text, out, bold=_is_bold_only(node))
    else:
        _walk(node, out)


def _walk(node, out: list[Para]) -> None:
    """Emit paragraphs for a container: runs of inline content become text paragraphs."""
    inline: list[str] = []

    def flush() -> None:
        text = _text_of_parts(inline)
        inline.clear()
        if text:
            _add_text(text, out)

    for child in node.children:
        name = getattr(child, "name", None)
        if name is not None and (name in _BLOCKS or _has_block(child)):
            flush()
            _block(child, out)
        else:
            inline.append(_inline(child))
    flush()


def _inline(node) -> str:
    """Text of an inline node; comments, doctypes and CDATA are not visible text."""
    if getattr(node, "name", None) is not None:
        return node.get_text("")
    return str(node) if type(node).__name__ == "NavigableString" else ""


def _text_of_parts(parts: list[str]) -> str:
    lines = (_SPACE_RE.sub(" ", p).strip() for p in "".join(parts).split(_LINE_BREAK))
    return "\n".join(line for line in lines if line)


def _prepare(soup) -> None:
    """Remove page chrome and make <br> a line break that survives whitespace collapsing."""
    for tag in soup.find_all(_NOISE_TAGS):
        tag.decompose()
    for tag in soup.find_all(attrs={"role": ["navigation", "banner", "contentinfo", "search"]}):
        tag.decompose()
    for tag in soup.find_all("header"):
        if tag.find("nav") or tag.find("ul"):
            tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with(_LINE_BREAK)


def extract_html(data: bytes, path: Path) -> Extracted:
    """Readable paragraphs of an HTML page, with <title> (or the first h1) as title."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_decode(data, path), "lxml")
    title_tag = soup.find("title")
    title = _SPACE_RE.sub(" ", title_tag.get_text(" ")).strip() if title_tag else ""
    _prepare(soup)
    paras: list[Para] = []
    _walk(soup.body or soup, paras)
    return Extracted(paras, title=title or None)
