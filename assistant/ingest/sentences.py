"""Sentence spans with character offsets, for splitting prose without cutting sentences.

A regex splitter is enough here: chunk boundaries only need to fall *between* sentences, and a
missed boundary merely makes one unit longer. The guards avoid the common false boundaries in
this corpus: abbreviations ("e.g.", "Dr."), initials ("J. Smith") and numbering ("Goal 1. End").
"""

from __future__ import annotations

import re

# The lookbehind starts a match only at the first mark of a run: from every dot of a long
# "....." leader the engine would otherwise rescan the whole run (quadratic).
_BOUNDARY_RE = re.compile(r"(?<![.!?…])[.!?…]+[\"'”’»)\]]*\s+(?=[\"'“‘«(\[¿¡]?[A-ZÀ-ÖØ-ÞĀ-Ž0-9])")
_WORD_BEFORE_RE = re.compile(r"(\S+?)[.!?…]*$")
_WORD_RE = re.compile(r"\S+")
_LAST_WORD_WINDOW = 64  # longer than any abbreviation, initial or list number
_ABBREVIATIONS = frozenset(
    "e.g i.e etc mr mrs ms dr prof st no nr vs approx inc ltd co jr sr fig art vol pp ca cf "
    "dept est corp resp incl excl jan feb mar apr jun jul aug sep sept oct nov dec mt u.s e.u "
    "a.o al bzw z.b u.a ggf evtl usw d.h sog vgl ca esp ej p.ej sr sra dña".split()
)


def _false_boundary(text: str, start: int, stop: int) -> bool:
    """Is the punctuation ending at `stop` an abbreviation, initial or list number?"""
    # Only the last word matters: searching from the sentence start made a long line full of
    # abbreviations ("Dr. X Dr. Y …", never a real boundary) quadratic.
    start = max(start, stop - _LAST_WORD_WINDOW)
    match = _WORD_BEFORE_RE.search(text, start, stop)
    if not match:
        return False
    if match.group(1).endswith("[") or text[max(0, stop - 2):stop + 1] in ("[...", "[…]"):
        return True  # an excerpt marker "[...]" / "[…]" elides words inside one sentence
    word = match.group(1).lstrip("([\"'“‘")
    if word.lower() in _ABBREVIATIONS:
        return True
    if len(word) == 1 and word.isalpha() and word.isupper():
        return True
    return word.isdigit() and len(word) <= 2 and text[match.end(1) : match.end(1) + 1] == "."


def sentence_spans(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """(start, end) of each sentence in `text` (plus `offset`); line breaks always split."""
    spans: list[tuple[int, int]] = []
    line_start = 0
    for line in text.split("\n"):
        start = 0
        for match in _BOUNDARY_RE.finditer(line):
            stop = match.start() + len(match.group().rstrip())
            if _false_boundary(line, start, match.start() + 1):
                continue
            spans.append((line_start + start, line_start + stop))
            start = match.end()
        spans.append((line_start + start, line_start + len(line)))
        line_start += len(line) + 1
    return [(offset + a, offset + b) for a, b in _trim(text, spans)]


def _trim(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            out.append((a, b))
    return out


def word_windows(text: str, start: int, end: int, size: int) -> list[tuple[int, int]]:
    """Split text[start:end] into spans of at most `size` words (for over-long sentences)."""
    words = [m.span() for m in _WORD_RE.finditer(text, start, end)]
    return [
        (words[i][0], words[min(i + size, len(words)) - 1][1]) for i in range(0, len(words), size)
    ]
