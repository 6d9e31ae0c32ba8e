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
    # The report stable sections start from: the period's own, else the latest one before it.
    base: ReportingPeriod | None = None
    base_docs: frozenset[str] = frozenset()
    # Other documents about the period: they report an event dated in it (not a plan).
    period_docs: frozenset[str] = frozenset()

    def label(self) -> str:
        return period_text(self.period) if self.period else "any period"

    @property
    def carried(self) -> bool:
        """Stable text comes from an earlier report, so the coordinator must review it."""
        return self.base is not None and not (self.base_docs & self.own_docs)

    def base_label(self) -> str:
        """'the January–June 2020 report'."""
        if self.base is None:
            return "no report"
        return f"the {period_text(Period(self.base.start, self.base.end))} report"

    def new_material_docs(self) -> frozenset[str] | None:
        """Documents whose text is new material for the period (None: no filter)."""
        if self.period is None:
            return None
        return self.own_docs | (self.period_docs - self.report_docs)


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
    base = _base(memory, period, own)
    base_docs = frozenset(p.doc_id for p in memory.periods
                          if base is not None and (p.start, p.end) == (base.start, base.end))
    return PeriodContext(period=period, own_docs=own,
                         report_docs=frozenset(p.doc_id for p in memory.periods),
                         notes=tuple(notes), base=base, base_docs=base_docs,
                         period_docs=_period_docs(memory, period))


def _base(memory: ProjectMemory, period: Period | None,
          own: frozenset[str]) -> ReportingPeriod | None:
    """The period's own report, else the latest report that ended before the period ends."""
    if period is None:
        return latest_period(memory)
    mine = [p for p in memory.periods if p.doc_id in own]
    if mine:
        return mine[0]
    earlier = [p for p in memory.periods if p.end <= period.end and p.start < period.start]
    return max(earlier, key=lambda p: (p.end, p.start), default=None)


def _period_docs(memory: ProjectMemory, period: Period | None) -> frozenset[str]:
    if period is None:
        return frozenset()
    return frozenset(
        e.source.doc_id for e in memory.events
        if e.status != "planned" and e.date is not None and e.date.start is not None
        and e.date.end is not None and period.start <= e.date.start and e.date.end <= period.end)


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
