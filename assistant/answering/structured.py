"""Answers from the structured memory for questions a single chunk answers badly: lists of
events in a date range, the NUTS code of a named region, what an acronym stands for.

Each is recognised by a narrow pattern; anything else returns None and the extractive answerer
takes over. Every line of a structured answer cites the row it was read from, so the answer is
as grounded as an extractive one, only complete.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Callable, Sequence

from ..memory.models import DateSpan, Event, ProjectMemory, Region, SourceRef
from ..memory.query import dedupe_events, event_sort_key, fold, grouped
from ..models import Answer, Citation, Hit
from ..sources import SourceBook

MAX_LISTED = 15

_EVENT_PLURAL = re.compile(
    r"\b(meetings|events|workshops|webinars|conferences|seminars|gatherings|sessions|"
    r"match-?making events|activities)\b", re.I)
_LIST_CUE = re.compile(r"^\s*(which|what|list|name|show|tell me|give me|were there|are there|"
                       r"how many)\b", re.I)
_REGIONS_Q = re.compile(r"\bregions\b", re.I)
_ROLE_CUES: dict[str, re.Pattern[str]] = {
    "leading": re.compile(r"\b(lead|leads|leading|led)\b", re.I),
    "participating": re.compile(r"\b(participat\w*|take part|taking part|involved|members?)\b", re.I),
}
_PLANNED = re.compile(r"\b(planned|upcoming|future|next|scheduled|will (?:take place|be held))\b", re.I)
_PAST = re.compile(r"\b(took place|were held|was held|held|organi[sz]ed|past|happened)\b", re.I)
_SEASON_MONTHS = {"spring": (3, 5), "summer": (6, 8), "autumn": (9, 11), "fall": (9, 11),
                  "winter": (12, 2)}
_SEASON = re.compile(r"\b(spring|summer|autumn|fall|winter)\b(?!\s*(?:19|20)\d\d)", re.I)

_YEAR_Q = re.compile(r"(?:\b(?:in|during|of|for|throughout|between|and|since)\s+)((?:19|20)\d{2})\b", re.I)

_NUTS_Q = re.compile(r"\bNUTS\b", re.I)

_STANDS = [
    re.compile(r"what\s+(?:does|do|did)\s+(?:the\s+)?(?:acronym\s+|abbreviation\s+)?"
               r"(?P<a>[A-Za-z][\w&-]{1,11})\s+(?:stand\s+for|mean)\b", re.I),
    re.compile(r"what\s+is\s+(?:the\s+)?(?:meaning|full\s+name|full\s+form|expansion)\s+of\s+"
               r"(?:the\s+)?(?:acronym\s+|abbreviation\s+)?(?P<a>[A-Za-z][\w&-]{1,11})\b", re.I),
    re.compile(r"(?P<a>[A-Za-z][\w&-]{1,11})\s+(?:stands|is\s+short)\s+for\s+what\b", re.I),
]


class _Cites:
    """`[n]` markers numbered by a `SourceBook` (one number per place, its rows' quotes
    gathered), remembering the cited chunks: they lead the answer's retrieved list."""

    def __init__(self) -> None:
        self.book = SourceBook()
        self.chunk_ids: list[str] = []

    @property
    def citations(self) -> list[Citation]:
        return self.book.citations()

    def __call__(self, ref: SourceRef) -> str:
        if ref.chunk_id not in self.chunk_ids:
            self.chunk_ids.append(ref.chunk_id)
        return f"[{self.book.cite_ref(ref)}]"


@dataclass(frozen=True, slots=True)
class _Range:
    start: date | None
    end: date | None
    months: tuple[int, int] | None  # a season without a year: any year
    label: str

    def holds(self, span: DateSpan | None) -> bool:
        if span is None or span.start is None or span.end is None:
            return False
        if self.months is not None:
            first, last = self.months
            months = {(first + i - 1) % 12 + 1 for i in range((last - first) % 12 + 1)}
            return span.start.month in months or span.end.month in months
        return span.overlaps(self.start, self.end)


class StructuredAnswerer:
    def __init__(self, *, memory: ProjectMemory, today: date | None = None,
                 find_dates: Callable[[str], list[DateSpan]] | None = None) -> None:
        self.memory = memory
        self.today = today or date.today()
        self._find_dates = find_dates or _find_dates

    def answer(self, question: str, *, hits: Sequence[Hit] = ()) -> Answer | None:
        """`hits` (the retrieval for the question) scope the answers that depend on which
        partnership or project is meant: region lists only come from documents retrieved."""
        self._last = _Cites()
        answer = None
        for attempt in (self._acronym, self._nuts, self._events):
            answer = attempt(question)
            if answer is not None:
                break
        else:
            answer = self._regions(question, hits)
        if answer is None:
            return None
        answer.question = question
        cited = {cid: i for i, cid in enumerate(self._last.chunk_ids)}
        answer.hits = sorted(hits, key=lambda h: cited.get(h.chunk.chunk_id, len(cited)))
        return answer

    def _cites(self) -> _Cites:
        self._last = _Cites()  # kept to put the cited chunks first among the hits
        return self._last

    # -- acronyms -----------------------------------------------------------------------

    def _acronym(self, question: str) -> Answer | None:
        # Only the question's own words: a follow-up ("who runs its consultation?") carries the
        # previous question ("What does ERMA stand for?") as context, not as what is asked.
        own = re.sub(r"\s*\([^()]*\)$", "", question)
        for pattern in _STANDS:
            match = pattern.search(own)
            if match:
                break
        else:
            return None
        asked = match.group("a")
        terms = [t for t in self.memory.terms if t.acronym == asked] or [
            t for t in self.memory.terms if t.acronym.casefold() == asked.casefold()]
        if not terms:
            return None
        cite = self._cites()
        groups = grouped(terms, lambda t: fold(t.expansion))
        first, first_refs = groups[0]
        text = f"{first.acronym} stands for {first.expansion} {_all(cite, first_refs)}."
        if len(groups) > 1:
            others = "; ".join(f"{t.expansion} {_all(cite, refs)}" for t, refs in groups[1:])
            text += f" Also written: {others}."
        return Answer(question=question, text=text, answered=True, citations=cite.citations,
                      confidence=1.0)

    # -- NUTS codes -----------------------------------------------------------------------

    def _nuts(self, question: str) -> Answer | None:
        if not _NUTS_Q.search(question):
            return None
        q = f" {fold(question)} "
        coded = [r for r in self.memory.regions if r.nuts]
        named = [r for r in coded if f" {fold(r.name)} " in q]
        if not named:
            return None
        # The longest matching name wins ("North Karelia" over "Karelia").
        longest = max(len(fold(r.name)) for r in named)
        named = [r for r in named if len(fold(r.name)) == longest]
        cite = self._cites()
        lines = [f"{_region_label(r)}: NUTS code {r.nuts} {_all(cite, refs)}"
                 for r, refs in grouped(named, lambda r: (fold(r.name), r.nuts))]
        return Answer(question=question, text="; ".join(lines) + ".", answered=True,
                      citations=cite.citations, confidence=1.0)

    # -- regions by role ------------------------------------------------------------------

    def _regions(self, question: str, hits: Sequence[Hit]) -> Answer | None:
        if not (_REGIONS_Q.search(question) and _LIST_CUE.search(question)):
            return None
        roles = [role for role, cue in _ROLE_CUES.items() if cue.search(question)]
        if len(roles) != 1:
            return None
        top_docs = {h.chunk.doc_id for h in hits[:3]}
        regions = [r for r in self.memory.regions
                   if r.role == roles[0] and r.source.doc_id in top_docs]
        if not regions:
            return None
        cite = self._cites()
        rows = grouped(regions, lambda r: (fold(r.name), r.nuts))
        lines = [f"The documents list {len(rows)} {roles[0]} regions:"]
        lines += [f"• {_region_label(r)}" + (f", NUTS {r.nuts}" if r.nuts else "")
                  + f" {_all(cite, refs)}" for r, refs in rows]
        return Answer(question=question, text="\n".join(lines), answered=True,
                      citations=cite.citations, confidence=1.0)

    # -- events in a date range ---------------------------------------------------------

    def _events(self, question: str) -> Answer | None:
        if not (_EVENT_PLURAL.search(question) and _LIST_CUE.search(question)):
            return None
        wanted = self._range(question)
        planned = bool(_PLANNED.search(question))
        if wanted is None and not planned:
            return None
        events = dedupe_events(self.memory.events)
        if wanted is not None:
            events = [e for e in events if wanted.holds(e.date)]
        if planned:  # planned as the reporting document saw it
            events = [e for e in events if e.status == "planned"]
        elif _PAST.search(question):  # held by now, whatever the document expected then
            events = [e for e in events if e.status == "past" or _before(e.date, self.today)]
        if wanted is not None and wanted.months is not None and events:
            # "the autumn" without a year: the latest autumn the documents speak of
            latest = max(e.date.start.year for e in events if e.date and e.date.start)
            events = [e for e in events if e.date and e.date.start
                      and latest - e.date.start.year <= (wanted.months[0] > wanted.months[1])]
        if not events:
            return None
        events.sort(key=event_sort_key)
        cite = self._cites()
        kind = "planned events" if planned else "events"
        where = f" in {wanted.label}" if wanted is not None else ""
        lines = [f"The documents list {len(events)} {kind}{where}:"]
        lines += [f"• {_event_line(e)} {cite(e.source)}" for e in events[:MAX_LISTED]]
        if len(events) > MAX_LISTED:
            lines.append(f"… and {len(events) - MAX_LISTED} more (`remix-assistant events`).")
        return Answer(question=question, text="\n".join(lines), answered=True,
                      citations=cite.citations, confidence=1.0)

    def _range(self, question: str) -> _Range | None:
        spans = [s for s in self._find_dates(question) if s.start and s.end]
        if spans:
            start = min(s.start for s in spans)  # type: ignore[type-var]
            end = max(s.end for s in spans)  # type: ignore[type-var]
            label = " – ".join(dict.fromkeys(s.text for s in spans))
            return _Range(start, end, None, label)
        years = [int(y) for y in _YEAR_Q.findall(question)]
        if years:  # "in 2019", "between 2019 and 2020": the date finder leaves lone years alone
            return _Range(date(min(years), 1, 1), date(max(years), 12, 31), None,
                          " – ".join(dict.fromkeys(str(y) for y in years)))
        season = _SEASON.search(question)
        if season:
            word = season.group(1).lower()
            return _Range(None, None, _SEASON_MONTHS[word], f"the {word}")
        return None


def _before(span: DateSpan | None, today: date) -> bool:
    return span is not None and span.end is not None and span.end < today


def _find_dates(text: str) -> list[DateSpan]:
    from ..memory.dates import find_dates

    return [m.span for m in find_dates(text, bare=True)]


def _all(cite: _Cites, refs: list[SourceRef]) -> str:
    return "".join(dict.fromkeys(cite(r) for r in refs))


def _region_label(region: Region) -> str:
    return f"{region.name} ({region.country})" if region.country else region.name


def _event_line(event: Event) -> str:
    when = "date not given"
    if event.date is not None:
        when = event.date.text
        if event.date.start is not None and str(event.date.start.year) not in when:
            when += f" ({event.date.iso()})"  # "September (2020-09)": the inferred year shown
    place = event.place or ("online" if event.online else "")
    return f"{when} — {event.title}" + (f" ({place})" if place else "")



_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9&]*[A-Z][A-Za-z0-9&]*|[A-Z]{2,}[0-9]*")


def expand_acronyms(query: str, memory: ProjectMemory) -> str:
    """The query with the documents' expansion of each acronym it uses appended, so a question
    saying "CRM" also finds passages that only say "critical raw materials" (and vice versa for
    the dense side). Unknown acronyms and ones already spelled out are left alone."""
    known: dict[str, str] = {}
    for term in memory.terms:
        known.setdefault(term.acronym, term.expansion)
    q = fold(query)
    extra = [f"{tok} {known[tok]}" for tok in dict.fromkeys(_TOKEN.findall(query))
             if tok in known and fold(known[tok]) not in q]
    return f"{query} ({'; '.join(extra)})" if extra else query
