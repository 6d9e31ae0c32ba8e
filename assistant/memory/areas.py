"""Working areas: rows of a table with a "Working area" column; "Region in charge" is the lead,
unless it holds a status ("In progress"), which is kept as the status instead."""

from __future__ import annotations

import re

from assistant.memory.models import WorkingArea
from assistant.memory.tables import column, row_cells
from assistant.memory.units import SourceLocator, Unit, squash

_AREA_COLUMNS = frozenset({"working area", "working areas", "work area", "thematic area",
                           "focus area", "area of work", "working group", "área de trabajo"})
_LEAD_COLUMNS = frozenset({"region in charge", "regions in charge", "lead", "lead region",
                           "leading region", "coordinator", "responsible", "in charge"})
_STATUS_COLUMNS = frozenset({"status", "state", "progress", "estado"})
_STATUS_RE = re.compile(r"^\W*(?:in progress|ongoing|on-going|tbc|tbd|to be (?:decided|defined|"
                        r"confirmed)|planned|not (?:yet )?(?:started|decided|defined)|open|"
                        r"completed|done|finished|n/?a|none|-)\W*$", re.IGNORECASE)


def extract_working_areas(units: list[Unit], locator: SourceLocator) -> list[WorkingArea]:
    out: list[WorkingArea] = []
    seen: set[str] = set()
    for unit in units:
        if unit.kind != "table_row":
            continue
        cells = row_cells(unit.text)
        name = column(cells, _AREA_COLUMNS)
        if not name or name.lower() in seen:
            continue
        lead = column(cells, _LEAD_COLUMNS)
        status = column(cells, _STATUS_COLUMNS) or ""
        if lead and _STATUS_RE.match(lead):
            status, lead = status or lead.strip(), None
        source = locator.ref(unit)
        if source is None:
            continue
        seen.add(name.lower())
        out.append(WorkingArea(name=squash(name), source=source, lead=lead or None,
                               status=status.strip()))
    return out
