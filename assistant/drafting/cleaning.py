"""Clean text for a report: whole sentences and titles, no fragments, each thing said once.

Reports are pasted together from slides and e-mails, and extraction cuts where a line ends:
a quote's second line ("clusters are the engines … Kristiina Jokelainen") reads as a sentence
that starts in lower case, and a table cell ends at "Presentation - Delivery of the". A
coordinator would not hand either in, so the draft repairs them from the source's own text
(joining a continuation to the line it continues, completing a title from the quote it was read
from) rather than leave them for review.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..memory.models import Event
from .form import Line

# A title that ends on one of these was cut mid-phrase.
_DANGLING = {"the", "a", "an", "of", "and", "or", "to", "in", "for", "with", "on", "at", "by",
             "from", "de", "del", "la", "el", "y", "und", "der", "die", "das", "ja"}
_SENTENCE_END = re.compile(r"[.!?…]['\"”’)]*$")
_SENTENCES = re.compile(r"[.!?…]['\"”’)]*\s+(?=[A-ZÀ-Ý0-9])")
_DATE_LEAD = re.compile(r"^\s*\d{1,2}(?:\s*[-–]\s*\d{1,2})?\.\d{1,2}\.\d{2,4}\s*")
_ONLINE_TAIL = re.compile(r"\s*(?:,\s*|\()\s*(?:online|virtual)\)?\s*$", re.IGNORECASE)
CONTINUATION_JOIN = " – "
BULLET_WORDS = 45  # an answer whose every line is this short is a list, as the form writes it


@dataclass(slots=True, kw_only=True)
class Block:
    """A paragraph or bullet of an answer and the lines it was made from."""

    text: str
    kind: str  # "sentence" (a paragraph) | "bullet"
    lines: list[Line] = field(default_factory=list)


def starts_lower(text: str) -> bool:
    first = text.lstrip(" -–•*\"'“‘(")[:1]
    return first.isalpha() and first.islower()


def sentences(text: str) -> int:
    return len(_SENTENCES.split(text.strip()))


def blocks(lines: Sequence[Line]) -> list[Block]:
    """An answer's lines as paragraphs and bullets, fragments joined to what they continue.

    A line ending in ':' leads a list: the lines under it are its bullets (lower case is
    right there: "The aims of the partnership are:" / "to strengthen …"). Any other line
    starting in lower case continues the line before it. An answer of several short lines is
    a bulleted list, as the form's answers are written; longer lines are paragraphs."""
    out: list[Block] = []
    in_list = False
    for line in lines:
        text = " ".join(line.text.split()).lstrip("-•* ").strip()
        if not text:
            continue
        if in_list and (starts_lower(text) or not _SENTENCE_END.search(text)):
            out.append(Block(text=text, kind="bullet", lines=[line]))
            continue
        in_list = False
        if starts_lower(text) and out:
            prev = out[-1]
            prev.text = f"{prev.text.rstrip(' ,;')}{CONTINUATION_JOIN}{text}"
            prev.lines.append(line)
            continue
        if starts_lower(text):
            continue  # a fragment whose beginning was not found: nothing to hand in
        out.append(Block(text=text, kind="sentence", lines=[line]))
        in_list = text.endswith(":")
    plain = [b for b in out if not b.text.endswith(":") and b.kind == "sentence"]
    if len(plain) >= 2 and all(len(b.text.split()) <= BULLET_WORDS for b in plain):
        for b in plain:
            b.kind = "bullet"
    return out


def full_title(event: Event) -> str:
    """The event's title, completed from its source line when extraction cut it mid-phrase
    ('… Presentation - Delivery of the' -> '… Presentation - Delivery of the interregional
    collaboration and strategic approach')."""
    title = _ONLINE_TAIL.sub("", " ".join(event.title.split())) if event.online else \
        " ".join(event.title.split())
    words = title.split()
    if not words or words[-1].lower().strip(",;:") not in _DANGLING:
        return title
    quote = " ".join(event.source.quote.split())
    at = quote.find(title)
    if at < 0:
        return title
    rest = quote[at + len(title):]
    rest = re.split(r"[;|]|\s+(?:Date|Place):", rest, maxsplit=1)[0]
    completed = (title + rest).rstrip(" ,;.")
    return completed if len(completed) > len(title) else title


def strip_date_lead(text: str) -> str:
    """'30.6.2020 Clusters for …' -> 'Clusters for …' (the date has its own cell)."""
    return _DATE_LEAD.sub("", text, count=1)


def capitalised(text: str) -> str:
    """A cell or bullet opens with a capital ('online' -> 'Online')."""
    text = text.strip()
    return text[:1].upper() + text[1:] if starts_lower(text) else text
