"""Events and meetings: from tables with an event and a date column, from agenda lines under a
day heading, from list items that start with a date, and from sentences that date a meeting,
workshop, webinar or conference.

Precision over recall: a sentence becomes an event only when it names an event word *and* a
date of at least month precision; a year alone never dates an event in prose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from assistant.memory.context import DocContext
from assistant.memory.dates import DateMention, find_dates, parse_date_span
from assistant.memory.models import DateSpan, Event, EventStatus
from assistant.memory.tables import column, row_cells
from assistant.memory.units import SourceLocator, Unit, squash
from assistant.models import Document

TITLE_COLUMNS = frozenset({"event", "events", "meeting", "meetings", "activity", "activities",
                           "title", "event title", "event name", "name", "topic", "what",
                           "description", "evento", "actividad", "tapahtuma", "veranstaltung"})
DATE_COLUMNS = frozenset({"date", "dates", "when", "time", "period", "fecha", "fecha de comienzo",
                          "datum", "päivämäärä", "aika", "data"})
PLACE_COLUMNS = frozenset({"place", "venue", "location", "where", "city", "lugar", "sede", "paikka",
                           "ort", "local"})

_EVENT_WORDS = (
    r"meetings?(?!\s+(?:our|the|its|their|these|this|those|a|an|all|both|eu|targets?|needs?|"
    r"demands?|requirements?|goals?|objectives?|expectations?)\b)|"
    r"workshops?|webinars?|conferences?|events?|seminars?|symposium|forum|summit|"
    r"congress|round[- ]?tables?|panels?|match-?making|kick[- ]?off(?: meeting)?|site visits?|study visits?|"
    r"field trips?|info ?days?|days|week|dialogue|sessions?|jornadas?|reuni[oó]n|taller|congreso|"
    r"seminario|evento|encuentro|tapahtuma|kokous|seminaari|työpaja|tagung|konferenz|"
    r"veranstaltung|sitzung|treffen"
)
EVENT_RE = re.compile(rf"\b(?:{_EVENT_WORDS})\b", re.IGNORECASE)
# Lines that *start* with a date are a chronology; a looser vocabulary is safe there.
_LIST_EVENT_RE = re.compile(rf"\b(?:{_EVENT_WORDS}|presentations?|talks?|launch|visits?|"
                            r"discussions?|lectures?|keynote|fairs?|exhibitions?)\b", re.IGNORECASE)
_ONLINE_RE = re.compile(r"\b(?:online|on-line|webinars?|virtual|zoom|ms teams|teams|webex|"
                        r"video ?conference|web ?conference|en l[ií]nea|verkossa|etänä)\b", re.IGNORECASE)
_PLANNED_RE = re.compile(r"\b(?:planned|future|upcoming|forthcoming|next|scheduled|coming|"
                         r"pr[oó]ximos?|tulevat?)\b", re.IGNORECASE)
_PAST_RE = re.compile(r"\b(?:past|previous|held|completed|carried out|organi[sz]ed|"
                      r"realizad[oa]s|pidetyt)\b", re.IGNORECASE)
_FUTURE_TENSE_RE = re.compile(r"\b(?:will|shall|is (?:scheduled|planned|due)|are (?:scheduled|"
                              r"planned)|upcoming|se celebrará|tendrá lugar|järjestetään)\b", re.IGNORECASE)
_PAST_TENSE_RE = re.compile(r"\b(?:was|were|held|took place|hosted|attended|organi[sz]ed|"
                            r"closed|brought together|gathered|se celebró|tuvo lugar|"
                            r"pidettiin)\b", re.IGNORECASE)
_TIME_PREFIX_RE = re.compile(r"^\s*\d{1,2}[.:]\d{2}\s*(?:[-–]\s*\d{1,2}[.:]\d{2})?\s*(?:h\b)?\s*")
# "in <Place>" only where it says where the event is: after held/organised/... or right after
# the date ("... 5-6 June 2019 in Brussels"); "a voice in Brussels" is not a venue.
_PLACE_RE = re.compile(
    r"(?:\b(?:held|organi[sz]ed|hosted|takes? place|took place|gathered|meets?|met|celebrará|"
    r"celebró|tendrá lugar|stattfinden|findet)\b[^.;]{0,40}?|(?:19|20)\d{2},?\s+|^)"
    r"\b(?:in|en|im)\s+"
    r"(?P<place>[A-ZÀ-ÖØ-ÞĀ-Ž][\w'’.-]+(?:\s+(?:y|de|del|la|am|an der)?\s*[A-ZÀ-ÖØ-ÞĀ-Ž][\w'’.-]+)*"
    r"(?:\s*\((?:[A-ZÀ-ÖØ-Þ][\w'’ ]+)\))?(?:,\s*[A-ZÀ-ÖØ-Þ][\w'’-]+)?)"
)
_NOT_PLACES = frozenset(["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December", "Europe", "EU", "The", "This", "English", "Spanish", "CET", "Zoom"])
_TITLE_STOP = frozenset(["the", "a", "an", "its", "their", "his", "her", "our", "this", "that", "these", "those", "of", "at", "in", "on", "to", "by", "held", "and", "with", "was", "were", "will", "be", "for", "from", "as", "is", "are", "has", "have", "which", "who", "during", "within", "under", "after", "before"])
_TITLE_CHARS = 160


@dataclass(frozen=True, slots=True)
class _Draft:
    title: str
    unit: Unit
    date: DateSpan | None
    place: str | None
    online: bool | None
    status: EventStatus
    generic: bool = False  # titled from the document, not from the sentence's own words
    notes: str = ""  # a table row's other cells ("Any other information: ...")


def extract_events(doc: Document, units: list[Unit], ctx: DocContext,
                   locator: SourceLocator) -> list[Event]:
    drafts: list[_Draft] = []
    day: DateSpan | None = None
    day_lines: list[tuple[Unit, DateSpan]] = []
    for unit in units:
        header = _day_header(unit, ctx)
        if header is not None:
            day = header
            day_lines.append((unit, header))
            continue
        if unit.kind == "heading":
            continue
        draft = (_from_row(unit, ctx) if unit.kind == "table_row"
                 else _from_agenda_line(unit, day, ctx) or _from_text(unit, doc, ctx))
        if draft is not None and not _inside_earlier(draft, drafts):
            drafts.append(draft)
    whole = _agenda_event(doc, day_lines, ctx)
    if whole is not None:
        drafts.insert(0, whole)
    return _dedupe(_to_events(drafts, locator))


# --- table rows --------------------------------------------------------------------------

def _from_row(unit: Unit, ctx: DocContext) -> _Draft | None:
    cells = row_cells(unit.text)
    title = column(cells, TITLE_COLUMNS)
    when = column(cells, DATE_COLUMNS)
    if not title or when is None:
        return None
    lean = _context_status(unit.context)
    span = parse_date_span(when, default_year=ctx.default_year, **_year_hint(lean, ctx))
    if span is None and when.strip():
        span = DateSpan(when.strip())
    place_cell = column(cells, PLACE_COLUMNS)
    online = _online(place_cell or "", title) if place_cell else _online_or_none(unit.text)
    place = None if not place_cell or _ONLINE_RE.fullmatch(place_cell.strip()) else place_cell
    used = {v for v in (title, when, place_cell) if v}
    notes = "; ".join(f"{k}: {v}" for k, v in cells.items() if v and v not in used)
    return _Draft(squash(title), unit, span, place, online, _status(lean, span, unit, ctx),
                  notes=notes)


def _year_hint(lean: EventStatus | None, ctx: DocContext) -> dict[str, date]:
    """A planned "May" in a report ending in June is next May; a past "September" last one."""
    ref = ctx.reference
    if ref is None:
        return {}
    if lean == "planned":
        return {"after": ref}
    if lean == "past":
        return {"before": ref}
    return {}


# --- agendas -----------------------------------------------------------------------------

def _day_header(unit: Unit, ctx: DocContext) -> DateSpan | None:
    """A line that is only a day ("Tuesday 4.4.2017", "Wednesday 5 April"): the date of the
    agenda lines below it."""
    if unit.kind not in ("text", "heading") or len(unit.text) > 40:
        return None
    mentions = find_dates(unit.text, default_year=ctx.default_year)
    if len(mentions) != 1 or mentions[0].span.precision != "day":
        return None
    rest = unit.text[:mentions[0].start] + unit.text[mentions[0].end:]
    if len(re.findall(r"[^\W\d_]{2,}", rest)) > 1:
        return None
    return mentions[0].span


def _from_agenda_line(unit: Unit, day: DateSpan | None, ctx: DocContext) -> _Draft | None:
    """"9.00-12.00 First Steering group meeting (...)" under a day header."""
    if day is None:
        return None
    prefix = _TIME_PREFIX_RE.match(unit.text)
    if not prefix or not unit.first:
        return None
    rest = unit.text[prefix.end():]
    if not EVENT_RE.search(rest):
        return None
    return _Draft(_cut_title(rest), unit, day, _place(rest), _online_or_none(rest),
                  _status(None, day, unit, ctx))


def _agenda_event(doc: Document, day_lines: list[tuple[Unit, DateSpan]], ctx: DocContext
                  ) -> _Draft | None:
    """An event page whose body is an agenda: the event itself spans the agenda's days."""
    title = _clean_doc_title(doc.title)
    dated = [span for _, span in day_lines if span.start and span.end]
    if not dated or not EVENT_RE.search(title):
        return None
    first, last = min(s.start for s in dated), max(s.end for s in dated)
    written = dated[0].text if len(dated) == 1 else f"{dated[0].text} – {dated[-1].text}"
    span = DateSpan(written, first, last, "day")
    unit = day_lines[0][0]
    return _Draft(title, unit, span, None, None, _status(None, span, unit, ctx))


def _inside_earlier(draft: _Draft, drafts: list[_Draft]) -> bool:
    """"A third session on 16 June" after "the workshop on 15 and 16 June": a part of an
    event already taken, when the sentence gives it no name of its own."""
    span = draft.date
    if not draft.generic or span is None or span.start is None or span.end is None:
        return False
    for other in drafts:
        o = other.date
        if other.unit.kind in ("text", "list_item") and o and o.start and o.end \
                and o.start <= span.start and span.end <= o.end:
            return True
    return False


def _clean_doc_title(title: str) -> str:
    return squash(re.sub(r"\s*\([^)]*\)\s*$", "", title or ""))


# --- list items and sentences ------------------------------------------------------------

def _from_text(unit: Unit, doc: Document, ctx: DocContext) -> _Draft | None:
    mentions = find_dates(unit.text, default_year=ctx.default_year)
    if mentions and unit.first and _LINE_LEAD_RE.fullmatch(unit.text[:mentions[0].start]):
        dated = _from_dated_line(unit, mentions[0], ctx)
        if dated is not None:
            return dated
    mentions = [m for m in mentions
                if m.span.precision in ("day", "month") and m.span.start is not None]
    match = EVENT_RE.search(unit.text)
    if not mentions or match is None:
        return None
    lead = min(mentions, key=lambda m: _distance(m, match))
    if _year_closer(unit.text, match, lead):
        return None  # "the Raw Materials Week of 2019, and in March 2020 ...": dated by a year
    phrase = _phrase(unit.text, match)
    title = phrase or _fallback_title(unit.text, match, doc)
    return _Draft(title, unit, lead.span, _place(unit.text), _online_or_none(unit.text),
                  _status(None, lead.span, unit, ctx), generic=phrase is None)


# A chronology line may open with a weekday or "On" before its date.
_LINE_LEAD_RE = re.compile(r"[\W_]*(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day|"
                           r"lunes|martes|miércoles|jueves|viernes|sábado|domingo|"
                           r"maanantai|tiistai|keskiviikko|torstai|perjantai|lauantai|sunnuntai|"
                           r"montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag)?"
                           r"[\s,.]*", re.IGNORECASE)
_CLOCK_RE = re.compile(r"^[\s,.:–-]*(?:(?:from|at|klo|de|von)\s+)?\d{1,2}[.:]\d{2}"
                       r"(?:\s*(?:[-–]|to|a|bis)\s*\d{1,2}[.:]\d{2})?\s*(?:h|CET|CEST|EET|"
                       r"UTC|GMT|horas|o’clock|o'clock)?[\s,.:–-]*", re.IGNORECASE)


def _from_dated_line(unit: Unit, lead: DateMention, ctx: DocContext) -> _Draft | None:
    """"30.6.2020 Clusters for Next Generation EU Dialogue ..." (an outreach list) or
    "Wednesday 25 November, from 10:00 to 13:00 CET: Education ..." under "The MIREU
    webinars": the line's own words, or its lead, must say it is an event."""
    rest = unit.text[lead.end:]
    rest = rest[_CLOCK_RE.match(rest).end():] if _CLOCK_RE.match(rest) else rest
    rest = rest.lstrip(" :–-,.")
    if not rest[:1].isupper() and not rest[:1].isdigit():
        return None  # "25 May the workshop closed ...": a sentence, not a chronology line
    under_events = unit.kind == "list_item" and EVENT_RE.search(unit.context)
    if len(rest.split()) < 3 or not (_LIST_EVENT_RE.search(rest) or under_events):
        return None
    online = _online_or_none(rest) or (_online_or_none(unit.context) if under_events else None)
    return _Draft(_cut_title(rest), unit, lead.span, _place(rest), online,
                  _status(None, lead.span, unit, ctx))


def _distance(mention: DateMention, match: re.Match[str]) -> int:
    return max(mention.start - match.end(), match.start() - mention.end, 0)


def _year_closer(text: str, match: re.Match[str], lead: DateMention) -> bool:
    for year in re.finditer(r"(?<![\w.])(?:19|20)\d{2}(?![\w])", text):
        if lead.start <= year.start() < lead.end:
            continue
        gap = max(year.start() - match.end(), match.start() - year.end(), 0)
        if gap < _distance(lead, match):
            return True
    return False


def _phrase(text: str, match: re.Match[str]) -> str | None:
    """The name around an event word: "the 3rd MIREU SLO stakeholder workshop" -> "3rd MIREU
    SLO stakeholder workshop"; None when only generic words precede it ("a virtual event",
    "Online event" at the start of a sentence)."""
    words = text[:match.start()].split()
    taken: list[str] = []
    for word in reversed(words[-6:]):
        if word.lower() in _TITLE_STOP or re.search(r"[,;:()“”\"–—]$", word) or not re.search(r"\w", word):
            break
        taken.insert(0, word)
    head = " ".join(taken + [match.group()])
    tail = re.match(r"\s*(?:[:–-]\s*)?[“\"]([^”\"]{3,80})[”\"]", text[match.end():])
    if tail:
        head = f"{head} “{tail.group(1)}”"
    named = head.split()[1:] if len(taken) == len(words) else head.split()
    if not any(w[:1].isupper() or w[:1].isdigit() for w in named):
        return None
    return head.strip(" -–")


def _fallback_title(text: str, match: re.Match[str], doc: Document) -> str:
    """A generic event word gets the document's name: "Virtual event — Press release: Can
    mining make the world a greener place?"; an event page's title stands alone."""
    title = _clean_doc_title(doc.title)
    if EVENT_RE.search(title):
        return title
    words = text[:match.start()].split()
    taken: list[str] = []
    for word in reversed(words[-3:]):
        if word.lower() in _TITLE_STOP or not re.search(r"\w$", word):
            break
        taken.insert(0, word)
    generic = " ".join(taken + [match.group()])
    generic = generic[:1].upper() + generic[1:]
    return f"{generic} — {title}" if title else _cut_title(text)


def _doc_event_title(doc: Document) -> str | None:
    title = _clean_doc_title(doc.title)
    return title if EVENT_RE.search(title) else None


def _cut_title(text: str) -> str:
    text = squash(text).strip(" :–-,")
    if len(text) <= _TITLE_CHARS:
        return text
    cut = text[:_TITLE_CHARS]
    return cut[:cut.rfind(" ")] if " " in cut else cut


def _place(text: str) -> str | None:
    for match in _PLACE_RE.finditer(text):
        place = match.group("place").rstrip(".,")
        if place.split()[0].strip("()") not in _NOT_PLACES and not re.search(r"\d", place):
            return place
    return None


def _online(place: str, title: str) -> bool:
    return bool(_ONLINE_RE.search(place) or _ONLINE_RE.search(title))


def _online_or_none(text: str) -> bool | None:
    return True if _ONLINE_RE.search(text) else None


# --- status ------------------------------------------------------------------------------

def _context_status(context: str) -> EventStatus | None:
    if _PLANNED_RE.search(context):
        return "planned"
    if _PAST_RE.search(context):
        return "past"
    return None


def _tense(text: str) -> EventStatus | None:
    if _FUTURE_TENSE_RE.search(text):
        return "planned"
    if _PAST_TENSE_RE.search(text):
        return "past"
    return None


def _status(lean: EventStatus | None, span: DateSpan | None, unit: Unit, ctx: DocContext
            ) -> EventStatus:
    """The table's lead or heading first ("planned future meetings"), then the date against
    the reporting period's end (else the document's own date), then the sentence's tense."""
    if lean is not None:
        return lean
    context = _context_status(unit.context) if unit.kind == "table_row" else None
    if context is not None:
        return context
    ref = ctx.period.end if ctx.period else None
    by_date = _by_date(span, ref)
    if by_date is not None:
        return by_date
    tense = _tense(unit.text)
    if tense is not None:
        return tense
    return _by_date(span, ctx.doc_date) or "unknown"


def _by_date(span: DateSpan | None, ref: date | None) -> EventStatus | None:
    if span is None or span.start is None or span.end is None or ref is None:
        return None
    if span.end <= ref:
        return "past"
    if span.start > ref:
        return "planned"
    return None


# --- output ------------------------------------------------------------------------------

def _to_events(drafts: list[_Draft], locator: SourceLocator) -> list[Event]:
    events = []
    for draft in drafts:
        source = locator.ref(draft.unit)
        if source is None or not draft.title:
            continue
        events.append(Event(title=draft.title, source=source, date=draft.date, place=draft.place,
                            online=draft.online, status=draft.status, notes=draft.notes))
    return events


def _dedupe(events: list[Event]) -> list[Event]:
    """Chunk overlap and repeated mentions give the same event twice: same title and dates."""
    seen: set[tuple[str, str]] = set()
    out = []
    for event in events:
        key = (re.sub(r"\W+", " ", event.title.lower()).strip(),
               event.date.iso() if event.date else "")
        if key not in seen:
            seen.add(key)
            out.append(event)
    return out
