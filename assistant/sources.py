"""Numbering the sources of a list, an answer or a draft: one number per place in a document,
in order of first use, with the quotes that place is cited for gathered.

Shared by the structured answers of `ask`, the CLI listings and the drafts, so a fact read from
the memory (`SourceRef`) and a retrieved passage of the same place share one number.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .memory.models import SourceRef
from .models import Citation


@dataclass(slots=True)
class SourceBook:
    """Citation numbers in order of first use; one number per place in a document (document,
    page, section), its quotes gathered.

    Not one per chunk: neighbouring chunks of one section would give the sources list several
    identical lines. A memory item (`SourceRef`) and a retrieved passage (`Chunk`) of the same
    place share the number."""

    _by_key: dict[tuple[str, int | None, str], Citation] = field(default_factory=dict)

    def cite(self, *, doc_id: str, title: str, quote: str, page: int | None = None,
             section: str = "", url: str | None = None) -> int:
        key = (doc_id, page, section)
        citation = self._by_key.get(key)
        if citation is None:
            citation = Citation(n=len(self._by_key) + 1, doc_id=doc_id, title=title, quote="",
                                page=page, section=section, url=url)
            self._by_key[key] = citation
        citation.quote = _add_quote(citation.quote, quote)
        return citation.n

    def cite_ref(self, ref: SourceRef) -> int:
        return self.cite(doc_id=ref.doc_id, title=ref.title, quote=ref.quote,
                         page=ref.page, section=ref.section, url=ref.url)

    def citations(self) -> list[Citation]:
        return sorted(self._by_key.values(), key=lambda c: c.n)


QUOTE_JOIN = " … "


def _add_quote(existing: str, quote: str) -> str:
    quote = quote.strip()
    if not quote or quote in existing.split(QUOTE_JOIN):
        return existing
    return f"{existing}{QUOTE_JOIN}{quote}" if existing else quote
