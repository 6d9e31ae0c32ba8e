"""Answer units: the sentences, list items and table rows a chunk is made of.

An extractive answer quotes whole units, so each unit must read on its own: table rows are
already rendered with their headers by the chunker, list items keep their text, and prose is
split on sentence boundaries that survive abbreviations, decimals and dotted dates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

UnitKind = Literal["sentence", "item", "row", "qa"]

_ABBREVIATIONS = {
    "e.g", "i.e", "etc", "dr", "mr", "mrs", "ms", "prof", "no", "nr", "vs", "approx", "inc", "ltd",
    "co", "st", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "fig", "art", "p", "pp", "vol", "ca", "cf", "mt", "eur", "u.s", "z.b", "bzw", "ua", "esim", "ym",
}
_BOUNDARY = re.compile(r"(?<=[.!?…])[\"”’)\]]*\s+(?=[\"“‘(\[]?[A-ZÀ-ÖØ-ÞĀ-Ž0-9])")
_ITEM = re.compile(r"^\s*(?:[-*•▪◦‣–]|\d{1,2}[.)])\s+")
_ROW = re.compile(r"^[^:;\n]{1,80}: [^\n]*;")


@dataclass(frozen=True, slots=True)
class Unit:
    text: str
    kind: UnitKind
    index: int  # position within its chunk, to find neighbours


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences without breaking 'e.g. X', '1.7 million' or '12.2.2020'."""
    pieces: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        candidate = text[start : match.start()].strip()
        last_word = candidate.rsplit(None, 1)[-1].rstrip(".").lower() if candidate else ""
        if last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
            continue
        if candidate:
            pieces.append(candidate)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        pieces.append(tail)
    return pieces


def _line_kind(line: str, chunk_kind: str) -> UnitKind:
    if _ITEM.match(line):
        return "item"
    if chunk_kind == "table" or _ROW.match(line):
        return "row"
    return "sentence"


def split_units(text: str, *, chunk_kind: str = "text") -> list[Unit]:
    """Units of a chunk in reading order. Rows and list items stay whole; prose lines are
    split into sentences."""
    units: list[Unit] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        kind = _line_kind(line, chunk_kind)
        if kind == "sentence":
            for sentence in split_sentences(line):
                units.append(Unit(sentence, "sentence", len(units)))
        else:
            units.append(Unit(_ITEM.sub("", line) if kind == "item" else line, kind, len(units)))
    return units
