"""Data of the structured project memory. Every item carries a `SourceRef` to the chunk it
was read from, so lists, counts and drafts built from the memory stay citable."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Literal

Precision = Literal["day", "month", "season", "year"]
EventStatus = Literal["past", "planned", "unknown"]
RegionRole = Literal["leading", "participating", "partner", "mentioned"]


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where an item was read: enough to cite it like an answer's citation."""

    chunk_id: str
    doc_id: str
    title: str
    quote: str  # the row / sentence the item was read from
    page: int | None = None
    section: str = ""
    url: str | None = None


@dataclass(frozen=True, slots=True)
class DateSpan:
    """A date or date range as written (`text`) and normalised (`start`..`end`, inclusive).

    "12-13.2.2020" -> 2020-02-12..2020-02-13 (day); "Fall 2019" -> 2019-09-01..2019-11-30
    (season); "September" in a report for Jan-Jun 2020 -> 2020-09-01..2020-09-30 (month,
    year inferred). `start`/`end` are None when the text could not be normalised."""

    text: str
    start: date | None = None
    end: date | None = None
    precision: Precision | None = None

    def iso(self) -> str:
        """'2020-02-12', '2020-02-12/2020-02-13', '2020-09' or the original text."""
        if self.start is None or self.end is None:
            return self.text
        if self.precision == "month" and self.start.day == 1:
            first = self.start.strftime("%Y-%m")
            last = self.end.strftime("%Y-%m")
            return first if first == last else f"{first}/{last}"
        if self.start == self.end:
            return self.start.isoformat()
        return f"{self.start.isoformat()}/{self.end.isoformat()}"

    def overlaps(self, start: date | None, end: date | None) -> bool:
        """True when the span meets [start, end] (open bounds allowed); unknown dates never do."""
        if self.start is None or self.end is None:
            return False
        return (start is None or self.end >= start) and (end is None or self.start <= end)


@dataclass(frozen=True, slots=True)
class Period:
    """A reporting period, inclusive. Parsed from '2020-01..2020-06' (months) or ISO days."""

    start: date
    end: date

    @classmethod
    def parse(cls, text: str) -> "Period":
        m = re.fullmatch(r"\s*(\d{4})-(\d{1,2})(?:-(\d{1,2}))?\s*\.\.\s*(\d{4})-(\d{1,2})(?:-(\d{1,2}))?\s*",
                         text)
        if not m:
            raise ValueError(f"period '{text}' is not of the form 2020-01..2020-06")
        y1, m1, d1, y2, m2, d2 = m.groups()
        start = date(int(y1), int(m1), int(d1 or 1))
        end = _month_end(int(y2), int(m2)) if d2 is None else date(int(y2), int(m2), int(d2))
        if end < start:
            raise ValueError(f"period '{text}' ends before it starts")
        return cls(start, end)

    def label(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def _month_end(year: int, month: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


@dataclass(frozen=True, slots=True)
class Event:
    title: str
    source: SourceRef
    date: DateSpan | None = None
    place: str | None = None
    online: bool | None = None
    status: EventStatus = "unknown"  # relative to the source document's reporting period
    notes: str = ""


@dataclass(frozen=True, slots=True)
class Region:
    name: str
    source: SourceRef
    country: str | None = None  # ISO 3166 alpha-2 as written in NUTS ("FI", "ES", "EL")
    nuts: str | None = None
    role: RegionRole = "mentioned"


@dataclass(frozen=True, slots=True)
class Organisation:
    name: str
    source: SourceRef
    acronym: str | None = None
    country: str | None = None
    role: str = ""  # "lead partner", "partner", "advisory partner", ... as written


@dataclass(frozen=True, slots=True)
class WorkingArea:
    name: str
    source: SourceRef
    lead: str | None = None  # "Region in charge" as written
    status: str = ""


@dataclass(frozen=True, slots=True)
class Term:
    """An acronym with its expansion ("CRM" -> "critical raw materials")."""

    acronym: str
    expansion: str
    source: SourceRef


@dataclass(frozen=True, slots=True)
class Definition:
    """A sentence in which a document says what a term is: "MIREU is an EU project whose aim
    is …", "S3 stands for Smart Specialisation Strategy". `sentence` is the whole defining
    sentence (quoted for "What is MIREU?"; `source.quote` may be cut to 300 characters),
    `category` the class it names ("EU project"; "" for a "stands for" sentence) and
    `expansion` the spelled-out name when the sentence gives one."""

    term: str
    sentence: str
    source: SourceRef
    category: str = ""
    expansion: str | None = None


@dataclass(frozen=True, slots=True)
class ReportingPeriod:
    doc_id: str
    start: date
    end: date
    source: SourceRef


@dataclass(slots=True)
class ProjectMemory:
    events: list[Event] = field(default_factory=list)
    regions: list[Region] = field(default_factory=list)
    organisations: list[Organisation] = field(default_factory=list)
    working_areas: list[WorkingArea] = field(default_factory=list)
    terms: list[Term] = field(default_factory=list)
    periods: list[ReportingPeriod] = field(default_factory=list)
    definitions: list[Definition] = field(default_factory=list)

    KINDS = ("events", "regions", "organisations", "working_areas", "terms", "periods",
             "definitions")

    def extend(self, other: "ProjectMemory") -> None:
        for kind in self.KINDS:
            getattr(self, kind).extend(getattr(other, kind))

    def only_docs(self, doc_ids: set[str] | frozenset[str]) -> "ProjectMemory":
        """The part read from the given documents (access control filters with this)."""
        return ProjectMemory(**{
            kind: [item for item in getattr(self, kind) if _doc_of(item) in doc_ids]
            for kind in self.KINDS
        })

    def to_json(self) -> dict[str, Any]:
        return {kind: [_plain(asdict(item)) for item in getattr(self, kind)] for kind in self.KINDS}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ProjectMemory":
        def src(d: dict) -> SourceRef:
            return SourceRef(**d)

        def span(d: dict | None) -> DateSpan | None:
            if d is None:
                return None
            return DateSpan(d["text"], _day(d.get("start")), _day(d.get("end")), d.get("precision"))

        return cls(
            events=[Event(**{**e, "source": src(e["source"]), "date": span(e.get("date"))})
                    for e in data.get("events", [])],
            regions=[Region(**{**r, "source": src(r["source"])}) for r in data.get("regions", [])],
            organisations=[Organisation(**{**o, "source": src(o["source"])})
                           for o in data.get("organisations", [])],
            working_areas=[WorkingArea(**{**w, "source": src(w["source"])})
                           for w in data.get("working_areas", [])],
            terms=[Term(**{**t, "source": src(t["source"])}) for t in data.get("terms", [])],
            periods=[ReportingPeriod(p["doc_id"], _day(p["start"]), _day(p["end"]),
                                     src(p["source"])) for p in data.get("periods", [])],
            definitions=[Definition(**{**d, "source": src(d["source"])})
                         for d in data.get("definitions", [])],
        )


def _doc_of(item: Any) -> str:
    return item.doc_id if isinstance(item, ReportingPeriod) else item.source.doc_id


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _plain(value: Any) -> Any:
    """asdict() output with dates as ISO strings (JSON-ready)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value
