"""Which reporting period a draft covers, and which documents report on it.

A coordinator usually drafts the next report right after the latest one, so without an
explicit period the draft covers the latest reporting period found in the documents; the
draft says so in a note, because a silent default is how a wrong period goes unnoticed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..memory.models import Period, ProjectMemory, ReportingPeriod


@dataclass(frozen=True, slots=True, kw_only=True)
class PeriodContext:
    """The period a draft covers and what the memory says about the documents of it."""

    period: Period | None
    own_docs: frozenset[str]  # reports whose reporting period is this period
    report_docs: frozenset[str]  # every document that has a reporting period (the reports)
    notes: tuple[str, ...] = ()

    def label(self) -> str:
        return period_text(self.period) if self.period else "any period"


def resolve_period(memory: ProjectMemory, period: Period | None) -> PeriodContext:
    notes: list[str] = []
    if period is None:
        latest = latest_period(memory)
        if latest is None:
            notes.append("No period given and no reporting period found in the documents: "
                         "nothing is filtered by date.")
        else:
            period = Period(latest.start, latest.end)
            notes.append(f"No period given: using the latest reporting period found in the "
                         f"documents, {period_text(period)} ({latest.source.title}).")
    own = frozenset(p.doc_id for p in memory.periods
                    if period is not None and _same(p, period))
    return PeriodContext(period=period, own_docs=own,
                         report_docs=frozenset(p.doc_id for p in memory.periods),
                         notes=tuple(notes))


def latest_period(memory: ProjectMemory) -> ReportingPeriod | None:
    return max(memory.periods, key=lambda p: (p.end, p.start), default=None)


def _same(reported: ReportingPeriod, period: Period) -> bool:
    """The report covers (most of) the period: more than half of either span overlaps."""
    first, last = max(reported.start, period.start), min(reported.end, period.end)
    if last < first:
        return False
    shared = (last - first).days + 1
    shorter = min((reported.end - reported.start).days, (period.end - period.start).days) + 1
    return shared * 2 > shorter


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def period_text(period: Period) -> str:
    """'January–June 2020' for whole months, else '2020-01-15..2020-06-30'."""
    if period.start.day != 1 or _next_day(period.end).day != 1:
        return period.label()
    first, last = _MONTHS[period.start.month - 1], _MONTHS[period.end.month - 1]
    if period.start.year != period.end.year:
        return f"{first} {period.start.year}–{last} {period.end.year}"
    if period.start.month == period.end.month:
        return f"{first} {period.start.year}"
    return f"{first}–{last} {period.end.year}"


def _next_day(day: date) -> date:
    return date.fromordinal(day.toordinal() + 1)
