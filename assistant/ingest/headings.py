"""Guessing headings in text that does not mark them, and giving every heading a level.

A wrong heading is worse than a missed one: it becomes the section label of every chunk after it
and is shown in citations. So a line is only promoted when several independent signals agree:
its shape (short, no sentence punctuation, no date/byline), its position (a standalone
paragraph, or the first line of a paragraph group followed by prose), what follows (body text,
a list, a table or a question) and what precedes (a finished sentence, or else Title Case).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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


@dataclass(slots=True)
class _Groups:
    """What the heading rules ask about the rest of a paragraph group, precomputed once.

    A group is a run of lines with no blank line between them. Asking "how many words follow
    in this group?" afresh for every line was quadratic: a 4,000-line list of names (one group)
    took 20 s. Later lines are not yet re-labelled when a line is judged, so their original
    kinds are what the rules always saw. `leads` is carried by `mark_headings` as it goes,
    because it looks at *earlier* lines, whose kinds have already been decided."""

    text_words: list[int]  # words of text lines from j to the end of j's group
    rest_count: list[int]  # lines from j to the end of its group
    rest_words: list[int]  # words of those lines
    rest_max: list[int]  # longest of those lines, in words
    rest_prose: list[bool]  # all of them text or list items
    leads: bool = True  # every earlier line of the current group is text and heading-shaped

    @classmethod
    def of(cls, paras: list[Para]) -> _Groups:
        n = len(paras)
        g = cls([0] * n, [0] * n, [0] * n, [0] * n, [True] * n)
        for j in range(n - 1, -1, -1):
            words = word_count(paras[j].text)
            prose = paras[j].kind in ("text", "list_item")
            g.text_words[j] = words if paras[j].kind == "text" else 0
            g.rest_count[j], g.rest_words[j], g.rest_max[j] = 1, words, words
            g.rest_prose[j] = prose
            if j + 1 < n and not paras[j + 1].gap_before:
                g.text_words[j] += g.text_words[j + 1]
                g.rest_count[j] += g.rest_count[j + 1]
                g.rest_words[j] += g.rest_words[j + 1]
                g.rest_max[j] = max(words, g.rest_max[j + 1])
                g.rest_prose[j] = prose and g.rest_prose[j + 1]
        return g

    def advance(self, paras: list[Para], i: int) -> None:
        """Before judging line i: update `leads` with line i-1, now decided."""
        if i == 0 or paras[i].gap_before:
            self.leads = True
        else:
            prev = paras[i - 1]
            self.leads = self.leads and prev.kind == "text" and heading_shape(prev.text)


def _is_body(paras: list[Para], j: int, groups: _Groups) -> bool:
    """Does real content start at j: prose, a list, a table or a form question?"""
    if j >= len(paras):
        return False
    nxt = paras[j]
    if nxt.kind in ("list_item", "table_row", "qa") or nxt.star:
        return True
    if nxt.kind != "text":
        return False
    words = groups.text_words[j]
    return (
        words >= 20 or (ends_sentence(nxt.text) and word_count(nxt.text) >= 4) or _is_question(nxt)
    )


def _is_question(para: Para) -> bool:
    return para.star or para.text.rstrip().endswith("?") or para.text.lower().startswith("please ")


def _prose_follows_in_group(paras: list[Para], i: int, groups: _Groups) -> bool:
    """For the first line of a group: the rest of the group is running text, not a list of
    short lines (a list of region codes must not promote its first entry)."""
    j = i + 1
    if j >= len(paras) or paras[j].gap_before or not groups.rest_prose[j]:
        return False
    total, count = groups.rest_words[j], groups.rest_count[j]
    return (
        total >= 20
        and total / count >= 6
        and word_count(paras[i].text) < 0.7 * groups.rest_max[j]
    )


def _prev_allows(prev: Para | None, para: Para) -> bool:
    """After a finished sentence anything heading-shaped may start a section; after an
    unfinished line (often a form prompt followed by its answer) only Title Case does."""
    if prev is None or prev.kind in ("heading", "list_item", "table_row", "qa"):
        return True
    if prev.question or prev.text.rstrip().endswith(":"):
        return False  # what follows a question or a label is its answer
    return ends_sentence(prev.text) or title_case(para.text)


def _leads_group(paras: list[Para], i: int, groups: _Groups) -> bool:
    """Line i is the last of the heading-shaped lines opening its group, and prose follows:
    in "Follow our updates / What this project will change / Six regional…" only the second
    line titles the text (the first is a leftover link label)."""
    if not groups.leads:
        return False
    nxt = paras[i + 1] if i + 1 < len(paras) and not paras[i + 1].gap_before else None
    return nxt is not None and not heading_shape(nxt.text)


def _positioned(paras: list[Para], i: int, groups: _Groups) -> bool:
    """Standalone line followed by body, or the line opening a group of prose lines."""
    para = paras[i]
    if para.gap_before and para.gap_after:
        return _is_body(paras, i + 1, groups)
    if para.gap_after:
        return False
    return (
        ":" not in para.text
        and _leads_group(paras, i, groups)
        and _prose_follows_in_group(paras, i, groups)
    )


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


def is_heading(paras: list[Para], i: int, *, guess: bool, groups: _Groups) -> bool:
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
        return _positioned(paras, i, groups)  # numbering is a strong signal whatever precedes it
    return _positioned(paras, i, groups) and (not para.gap_before or _prev_allows(prev, para))


def _lone_item(paras: list[Para], i: int) -> bool:
    """A list item with no list item next to it in its group (so not really a list)."""
    before = i > 0 and not paras[i].gap_before and paras[i - 1].kind == "list_item"
    after = i + 1 < len(paras) and not paras[i].gap_after and paras[i + 1].kind == "list_item"
    return not before and not after


def mark_headings(paras: list[Para], *, guess: bool) -> None:
    """Promote heading-like paragraphs in place (level 0 = relative, fixed by assign_levels)."""
    groups = _Groups.of(paras)
    for i, para in enumerate(paras):
        groups.advance(paras, i)
        if para.kind not in ("text", "list_item"):
            continue
        if not is_heading(paras, i, guess=guess, groups=groups):
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
