"""Guessing headings in text that does not mark them, and giving every heading a level.

A wrong heading is worse than a missed one: it becomes the section label of every chunk after it
and is shown in citations. So a line is only promoted when several independent signals agree:
its shape (short, no sentence punctuation, no date/byline), its position (a standalone
paragraph, or the first line of a paragraph group followed by prose), what follows (body text,
a list, a table or a question) and what precedes (a finished sentence, or else Title Case).
"""

from __future__ import annotations

import re

from assistant.ingest.paras import Para, ends_sentence, word_count

_MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    "sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_DATE_RE = re.compile(
    rf"\b\d{{1,2}}[./-]\d{{1,2}}[./-]\d{{2,4}}\b|\b\d{{1,2}}\.?\s+(?:{_MONTHS})\.?,?\s+\d{{4}}\b|"
    rf"\b(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b",
    re.IGNORECASE,
)
_BYLINE_RE = re.compile(
    r"^(?:posted|written|published|updated|last updated|by|photo|image|source|read more)\b",
    re.IGNORECASE,
)
_NUMBERED_RE = re.compile(
    r"^(?:(?P<roman>[IVX]{1,4})\.|(?P<num>\d{1,2}(?:\.\d{1,2})*)\.?)\s+(?P<title>\S.*)$"
)
_KEY_VALUE_RE = re.compile(r":\s*[\d(+€$£]|\d\s*%")  # "Unemployment: 6,3 %" is data, not a title
_SENTENCE_INSIDE_RE = re.compile(r"[.!?]\s+[A-Z]")
_WORD_RE = re.compile(r"[^\W\d_][\w'’-]*")
_BAD_ENDINGS = ",;-–—/&(+"

MAX_HEADING_WORDS = 12
MAX_BOLD_HEADING_WORDS = 16


def heading_shape(
    text: str, *, max_words: int = MAX_HEADING_WORDS, allow_colon: bool = False
) -> bool:
    """Could this line be a heading on its looks alone?"""
    text = text.strip()
    words = text.split()
    if "\n" in text or not 1 <= len(words) <= max_words or len(text) > 120:
        return False
    if ends_sentence(text) or text[-1] in _BAD_ENDINGS or (text[-1] == ":" and not allow_colon):
        return False
    if not (text[0].isupper() or text[0].isdigit()):
        return False
    match = _NUMBERED_RE.match(text)
    body = match.group("title") if match else text
    if _SENTENCE_INSIDE_RE.search(body) or "://" in text or text.startswith("www.") or "@" in text:
        return False
    if _DATE_RE.search(text) or _BYLINE_RE.match(text) or _KEY_VALUE_RE.search(text):
        return False
    letters = sum(ch.isalpha() for ch in text)
    return letters >= 3 and letters >= 0.5 * len(text.replace(" ", ""))


def title_case(text: str) -> bool:
    """Most longer words capitalised ("Your Partnership and the UN 2030 Goals")."""
    words = [w for w in _WORD_RE.findall(text) if len(w) >= 4]
    return bool(words) and sum(w[0].isupper() for w in words) / len(words) >= 0.6


def _group_end(paras: list[Para], j: int) -> int:
    """Index after the paragraph group (lines without a blank line between) starting at j."""
    k = j + 1
    while k < len(paras) and not paras[k].gap_before:
        k += 1
    return k


def _is_body(paras: list[Para], j: int) -> bool:
    """Does real content start at j: prose, a list, a table or a form question?"""
    if j >= len(paras):
        return False
    nxt = paras[j]
    if nxt.kind in ("list_item", "table_row", "qa") or nxt.star:
        return True
    if nxt.kind != "text":
        return False
    words = sum(word_count(p.text) for p in paras[j : _group_end(paras, j)] if p.kind == "text")
    return (
        words >= 20 or (ends_sentence(nxt.text) and word_count(nxt.text) >= 4) or _is_question(nxt)
    )


def _is_question(para: Para) -> bool:
    return para.star or para.text.rstrip().endswith("?") or para.text.lower().startswith("please ")


def _prose_follows_in_group(paras: list[Para], i: int) -> bool:
    """For the first line of a group: the rest of the group is running text, not a list of
    short lines (a list of region codes must not promote its first entry)."""
    rest = paras[i + 1 : _group_end(paras, i)]
    if not rest or any(p.kind not in ("text", "list_item") for p in rest):
        return False
    counts = [word_count(p.text) for p in rest]
    total = sum(counts)
    return (
        total >= 20 and total / len(counts) >= 6 and word_count(paras[i].text) < 0.7 * max(counts)
    )


def _prev_allows(prev: Para | None, para: Para) -> bool:
    """After a finished sentence anything heading-shaped may start a section; after an
    unfinished line (often a form prompt followed by its answer) only Title Case does."""
    if prev is None or prev.kind in ("heading", "list_item", "table_row", "qa"):
        return True
    if prev.question or prev.text.rstrip().endswith(":"):
        return False  # what follows a question or a label is its answer
    return ends_sentence(prev.text) or title_case(para.text)


def _group_start(paras: list[Para], i: int) -> int:
    while i > 0 and not paras[i].gap_before:
        i -= 1
    return i


def _leads_group(paras: list[Para], i: int) -> bool:
    """Line i is the last of the heading-shaped lines opening its group, and prose follows:
    in "Follow our updates / What this project will change / Six regional…" only the second
    line titles the text (the first is a leftover link label)."""
    start = _group_start(paras, i)
    if any(p.kind != "text" or not heading_shape(p.text) for p in paras[start:i]):
        return False
    nxt = paras[i + 1] if i + 1 < len(paras) and not paras[i + 1].gap_before else None
    return nxt is not None and not heading_shape(nxt.text)


def _positioned(paras: list[Para], i: int) -> bool:
    """Standalone line followed by body, or the line opening a group of prose lines."""
    para = paras[i]
    if para.gap_before and para.gap_after:
        return _is_body(paras, i + 1)
    if para.gap_after:
        return False
    return ":" not in para.text and _leads_group(paras, i) and _prose_follows_in_group(paras, i)


def _is_roman(text: str) -> bool:
    match = _NUMBERED_RE.match(text)
    return bool(match and match.group("roman"))


def _numbered_level(text: str) -> int:
    """Level from "I." / "2." / "2.3" numbering, 0 if the line is not numbered."""
    match = _NUMBERED_RE.match(text)
    if not match or not match.group("title")[:1].isupper():
        return 0
    if match.group("roman"):
        return 1
    num = match.group("num")
    if "." not in num and not text[len(num) :].startswith("."):
        return 0
    return min(num.count(".") + 1, 6)


def is_heading(paras: list[Para], i: int, *, guess: bool) -> bool:
    """Decide whether paragraph i (text or lone numbered item) is a heading."""
    para = paras[i]
    prev = paras[i - 1] if i else None
    if para.explicit or para.star or "\n" in para.text:
        return False
    if para.bold:
        return heading_shape(para.text, max_words=MAX_BOLD_HEADING_WORDS, allow_colon=True) and (
            i + 1 < len(paras)
        )
    if not guess or not heading_shape(para.text) or _is_question(para):
        return False
    level = _numbered_level(para.text)
    if para.kind == "list_item" and (not level or not _lone_item(paras, i)):
        return False
    if level and _is_roman(para.text) and para.gap_before and para.gap_after:
        return i + 1 < len(paras)  # "II. Progress report" may be followed by a sub-heading
    if level:
        return _positioned(paras, i)  # numbering is a strong signal whatever precedes it
    return _positioned(paras, i) and (not para.gap_before or _prev_allows(prev, para))


def _lone_item(paras: list[Para], i: int) -> bool:
    """A list item with no list item next to it in its group (so not really a list)."""
    before = i > 0 and not paras[i].gap_before and paras[i - 1].kind == "list_item"
    after = i + 1 < len(paras) and not paras[i].gap_after and paras[i + 1].kind == "list_item"
    return not before and not after


def mark_headings(paras: list[Para], *, guess: bool) -> None:
    """Promote heading-like paragraphs in place (level 0 = relative, fixed by assign_levels)."""
    for i, para in enumerate(paras):
        if para.kind not in ("text", "list_item") or not is_heading(paras, i, guess=guess):
            continue
        para.kind, para.level = "heading", _numbered_level(para.text)


def assign_levels(paras: list[Para]) -> None:
    """Give unnumbered guessed headings the level under the last known one, and form questions
    (turned into headings or qa blocks) the level under the last real heading."""
    known = 0
    base = 0
    for para in paras:
        if para.kind == "heading" and not para.question:
            if para.level:
                known = para.level
            else:
                para.level = min(known + 1, 6)
            base = para.level
        elif para.question and para.kind in ("heading", "qa"):
            para.level = min(base + 1, 6)
