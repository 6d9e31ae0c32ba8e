"""Structured project memory from one loaded document and its chunks (the ingest entry point).

Each extractor runs on its own: one that fails on odd input loses only its own kind of item
for that document (logged), never the ingest of the file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from assistant.memory.areas import extract_working_areas
from assistant.memory.definitions import extract_definitions
from assistant.memory.context import DocContext, document_context, reporting_period
from assistant.memory.events import extract_events
from assistant.memory.models import ProjectMemory
from assistant.memory.regions import extract_regions
from assistant.memory.terms import extract_terms
from assistant.memory.units import SourceLocator, iter_units
from assistant.models import Chunk, Document

log = logging.getLogger(__name__)
T = TypeVar("T")


def extract_memory(doc: Document, chunks: list[Chunk]) -> ProjectMemory:
    """Events, regions, organisations, working areas, acronyms, definitions and the reporting
    period of `doc`, each citing the chunk (of `chunks`) its row or sentence lies in."""
    memory = ProjectMemory()
    if not chunks or not doc.blocks:
        return memory
    units = _safe(lambda: list(iter_units(doc)), [], doc, "units")
    locator = SourceLocator(doc=doc, chunks=chunks)
    period = _safe(lambda: reporting_period(doc, units, locator), None, doc, "period")
    ctx = _safe(lambda: document_context(doc, units, period), DocContext(period, None, None),
                doc, "context")
    if period is not None:
        memory.periods.append(period)
    memory.events = _safe(lambda: extract_events(doc, units, ctx, locator), [], doc, "events")
    memory.regions = _safe(lambda: extract_regions(units, locator), [], doc, "regions")
    memory.working_areas = _safe(lambda: extract_working_areas(units, locator), [], doc, "areas")
    terms, orgs = _safe(lambda: extract_terms(units, locator), ([], []), doc, "terms")
    memory.terms, memory.organisations = terms, orgs
    memory.definitions = _safe(lambda: extract_definitions(units, locator), [], doc,
                               "definitions")
    return memory


def _safe(step: Callable[[], T], fallback: T, doc: Document, what: str) -> T:
    try:
        return step()
    except Exception:  # never let one extractor stop the ingest of a file
        log.warning("memory extraction (%s) failed for %s", what, doc.doc_id, exc_info=True)
        return fallback


__all__ = ["extract_memory"]
