"""The structured memory as read from an index: each kind parsed on first use.

The index stores every file's memory per kind (events, regions, terms ...; see
retrieval/segment.py). Parsing all of it costs time in proportion to the corpus, and most
questions need one kind or none: an ordinary question looks up acronyms (the terms), a
"which meetings ..." question the events. `StoredMemory` is a `ProjectMemory` (callers cannot
tell) whose lists are read and parsed when first asked for, and kept. msgspec decodes the JSON
straight into the dataclasses, several times faster than json and their constructors.
"""

from __future__ import annotations

import json
import threading
from functools import lru_cache
from typing import Any, Callable, get_type_hints

import msgspec

from .models import ProjectMemory, _doc_of


class StoredMemory(ProjectMemory):
    """A ProjectMemory whose kinds come from `load(kind)` on first access (each once)."""

    def __init__(self, *, load: Callable[[str], list[Any]] | None = None,
                 read: Callable[[str], list[tuple[str, str]]] | None = None) -> None:
        """`load(kind)` gives a kind's items; or `read(kind)` gives the stored rows of one
        kind, (file key, JSON list of items), in the order the items are to appear."""
        if (load is None) == (read is None):
            raise ValueError("give load or read, not both")
        self._load = load if load is not None else (lambda kind: _parse(kind, read(kind)))
        self._kinds: dict[str, list[Any]] = {}
        self._lock = threading.Lock()

    def _kind(self, kind: str) -> list[Any]:
        with self._lock:
            if kind not in self._kinds:
                self._kinds[kind] = self._load(kind)
            return self._kinds[kind]

    def _set_kind(self, kind: str, items: list[Any]) -> None:
        with self._lock:
            self._kinds[kind] = items

    def only_docs(self, doc_ids: set[str] | frozenset[str]) -> ProjectMemory:
        """The part read from the given documents, itself read kind by kind on first use."""
        return StoredMemory(load=lambda kind: [item for item in getattr(self, kind)
                                               if _doc_of(item) in doc_ids])


def _kind_property(kind: str) -> property:
    return property(lambda self: self._kind(kind),
                    lambda self, items: self._set_kind(kind, items),
                    doc=f"The {kind} of the memory, read on first use.")


for _name in ProjectMemory.KINDS:
    setattr(StoredMemory, _name, _kind_property(_name))


@lru_cache(maxsize=None)
def _decoder(kind: str) -> msgspec.json.Decoder:
    """A decoder of a JSON list straight into the kind's dataclass (Event, Region, ...)."""
    return msgspec.json.Decoder(get_type_hints(ProjectMemory)[kind])


def _parse(kind: str, rows: list[tuple[str, str]]) -> list[Any]:
    """The items of one kind from their stored JSON lists (joined and parsed in one go)."""
    if not rows:
        return []
    joined = "[" + ",".join(data[1:-1] for _, data in rows if len(data) > 2) + "]"
    try:
        return _decoder(kind).decode(joined)
    except msgspec.ValidationError:
        # A value outside its declared type (an extractor's new role, say): type hints are
        # not checked anywhere else, so they must not make the memory unreadable here.
        return getattr(ProjectMemory.from_json({kind: json.loads(joined)}), kind)
