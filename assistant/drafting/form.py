"""Reading a filled-in report form back: the answer written under each of the form's prompts,
the header fields and the SDG table of a report.

A report answers the form's questions in order, so the text between one prompt and the next
*is* that section's answer, whatever words it uses: "Communication with MIREU partner regions"
shares no word with the section's topic, yet it is the answer to "interested regions". This is
what the next report starts from (stable sections are carried over) and what a draft for the
period of an existing report reproduces.

The chunks come from retrieval (every prompt is searched for), so a report is stitched back
together from the chunks found: overlapping chunks are joined, a gap ends an answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..models import Chunk
from ..retrieval.lexical import fold
from .boilerplate import TEMPLATE_LABELS, answer_part, is_label
from .sections import SectionSpec

PREFIX = 48  # characters of a prompt that identify it (the form's prompts differ before this)
FIELDS = {  # header field -> openings of its label, folded
    "period": ("reporting period",),
    "partnership": ("please select the name of your partnership", "name of your partnership",
                    "name of the partnership"),
    "start": ("start date of your partnership", "start date of the partnership"),
    "webpage": ("partnership's webpage", "partnerships webpage", "partnership webpage",
                "webpage of the partnership"),
}
SDG_LEVELS = ("Strongly agree", "Agree", "Neutral", "Disagree", "Strongly disagree",
              "Not applicable")
_SDG = re.compile(r"^Goal\s+(?P<n>\d{1,2})\s*[.:]\s*(?P<goal>.+?)\s*:\s*(?P<level>[A-Za-z ]+)$")


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a report and the chunk it was read from (the citation)."""

    text: str
    chunk: Chunk


def _clean(text: str) -> str:
    return " ".join(text.strip().strip("*").split()).strip()


def stitch(chunks: Iterable[Chunk]) -> dict[str, list[Line | None]]:
    """Each document's lines in order, from the chunks found; None marks a gap (text not
    retrieved), which ends an answer rather than join two."""
    by_doc: dict[str, dict[str, Chunk]] = {}
    for chunk in chunks:
        by_doc.setdefault(chunk.doc_id, {})[chunk.chunk_id] = chunk
    out: dict[str, list[Line | None]] = {}
    for doc, found in by_doc.items():
        lines: list[Line | None] = []
        previous: Chunk | None = None
        for chunk in sorted(found.values(), key=lambda c: (c.start, c.end)):
            texts = [t for t in (_clean(x) for x in chunk.text.splitlines()) if t]
            if previous is not None and chunk.start < previous.end:
                while texts and texts[0] in " ".join(previous.text.split()):
                    texts.pop(0)  # the overlap repeats the end of the previous chunk
            elif previous is not None:
                lines.append(None)
            lines.extend(Line(t, chunk) for t in texts)
            previous = chunk if previous is None or chunk.end > previous.end else previous
        out[doc] = lines
    return out


def _key(text: str) -> str:
    return fold(_clean(text))[:PREFIX]


def prompt_of(text: str, specs: Iterable[SectionSpec]) -> SectionSpec | None:
    folded = fold(_clean(text))
    return next((s for s in specs if s.prompt and folded.startswith(_key(s.prompt))), None)


def field_of(text: str) -> str | None:
    folded = fold(_clean(text))
    return next((name for name, labels in FIELDS.items()
                 if any(folded.startswith(label) for label in labels)), None)


def _boundary(text: str) -> bool:
    """Form text that ends an answer: a prompt, heading or field label (not an instruction
    such as 'If possible, please follow this format', which sits inside an answer)."""
    folded = fold(_clean(text))
    return (folded.startswith("please ") or folded.startswith("goal ")
            or any(folded.startswith(label) for label in TEMPLATE_LABELS)
            or field_of(text) is not None)


def answers(lines: list[Line | None], specs: Iterable[SectionSpec]) -> dict[str, list[Line]]:
    """Section name -> the lines written under its prompt in this report."""
    specs = [s for s in specs if s.prompt]
    out: dict[str, list[Line]] = {}
    current: str | None = None
    for line in lines:
        if line is None:
            current = None
            continue
        spec = prompt_of(line.text, specs)
        if spec is not None:
            current = spec.name
            out.setdefault(current, [])
            qa = answer_part(line.text)
            if qa is not None and qa[1]:
                out[current].append(Line(_clean(qa[1]), line.chunk))
            continue
        if _boundary(line.text):
            current = None
            continue
        if current is None or is_label(line.text):
            continue
        out[current].append(line)
    return out


def fields(lines: list[Line | None]) -> dict[str, Line]:
    """Header field -> its value line ("Reporting period: January - June 2020", or the label
    on one line and the value on the next)."""
    out: dict[str, Line] = {}
    pending: str | None = None
    for line in lines:
        if line is None:
            pending = None
            continue
        name = field_of(line.text)
        if name is not None:
            _, _, value = line.text.partition(":")
            if _clean(value):
                out.setdefault(name, Line(_clean(value), line.chunk))
                pending = None
            else:
                pending = name
            continue
        if pending is not None and not _boundary(line.text):
            out.setdefault(pending, Line(_clean(line.text.strip("<>")), line.chunk))
        pending = None
    return out


@dataclass(frozen=True, slots=True)
class GoalRow:
    number: int
    goal: str
    level: str  # one of SDG_LEVELS
    line: Line


def sdg_rows(lines: list[Line | None]) -> list[GoalRow]:
    """The SDG table as the report filled it: 'Goal 8. Promote …: Strongly agree'."""
    rows: dict[int, GoalRow] = {}
    levels = {fold(level): level for level in SDG_LEVELS}
    for line in lines:
        if line is None:
            continue
        m = _SDG.match(line.text)
        if m is None:
            continue
        level = levels.get(fold(m.group("level").strip()))
        if level is not None:
            n = int(m.group("n"))
            rows.setdefault(n, GoalRow(n, f"Goal {n}. {m.group('goal').strip()}", level, line))
    return [rows[n] for n in sorted(rows)]
