"""Answer units: the sentences, list items, table rows and lead-in lines a chunk is made of.

An extractive answer quotes whole units, so each unit must read on its own: table rows are
already rendered with their headers by the chunker, each line of a chunk is one structural
block (paragraph, item, row, form answer), and prose is split on sentence boundaries that
survive abbreviations, decimals and dotted dates. A unit remembers the lead-in line it belongs
to ("The aims of the partnership are:") because that line is often what matches the question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ..ingest.sentences import sentence_spans

UnitKind = Literal["sentence", "item", "row", "lead"]

_ITEM_MARK = re.compile(r"^\s*(?:[-*•▪◦‣–]|\d{1,2}[.)])\s+")
_ROW = re.compile(r"^[^:;\n]{1,80}: [^\n]*;")
_FINAL = re.compile(r"[.!?…]['\"”’)]*$")
ITEM_MAX_WORDS = 25
LEAD_ITEM_MAX_WORDS = 45  # after "…are:" lines this short are the list, whatever their punctuation


@dataclass(frozen=True, slots=True)
class Unit:
    text: str
    kind: UnitKind
    index: int  # position within its chunk, to find neighbours
    line: int  # which line of the chunk (units of one paragraph share it)
    lead: int | None = None  # index of the lead-in/caption unit this item or row belongs to


def split_sentences(text: str) -> list[str]:
    """Sentences of one line of prose (the chunker's splitter: abbreviations, initials, decimals
    and numbered goals do not end a sentence)."""
    return [text[a:b] for a, b in sentence_spans(text)]


def _line_kind(line: str, *, first: bool, chunk_kind: str) -> UnitKind:
    if line.endswith(":") or (chunk_kind == "table" and first):
        return "lead"
    if _ITEM_MARK.match(line):
        return "item"
    if chunk_kind == "table" or _ROW.match(line):
        return "row"
    if len(line.split()) <= ITEM_MAX_WORDS and not _FINAL.search(line):
        return "item"
    return "sentence"


def _ends_lowercase_list(units: list[Unit], lead: int, line: str) -> bool:
    """Items that all began in lower case ("to strengthen …") end at a capitalised line."""
    items = [u for u in units[lead + 1 :] if u.lead == lead]
    return bool(items) and all(u.text[:1].islower() for u in items) and line[:1].isupper()


def split_units(text: str, *, chunk_kind: str = "text") -> list[Unit]:
    """Units of a chunk in reading order. Rows, items and lead-ins stay whole; prose lines
    are split into sentences."""
    units: list[Unit] = []
    lead: int | None = None
    for line_no, raw in enumerate(l.strip() for l in text.splitlines()):
        if not raw:
            continue
        kind = _line_kind(raw, first=not units, chunk_kind=chunk_kind)
        if (kind == "sentence" and lead is not None and len(raw.split()) <= LEAD_ITEM_MAX_WORDS
                and not _ends_lowercase_list(units, lead, raw)):
            kind = "item"
        if kind == "sentence":
            lead = None
            for sentence in split_sentences(raw):
                units.append(Unit(sentence, "sentence", len(units), line_no))
        elif kind == "lead":
            lead = len(units)
            units.append(Unit(raw, "lead", len(units), line_no))
        else:
            if lead is None and units and units[-1].kind not in ("item", "row"):
                lead = len(units) - 1  # a list is introduced by the line just before it
            text_ = _ITEM_MARK.sub("", raw) if kind == "item" else raw
            units.append(Unit(text_, kind, len(units), line_no, lead))
    return units
