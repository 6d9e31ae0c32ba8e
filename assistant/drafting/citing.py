"""Numbering a draft's sources: one number per document, in order of first use.

A report's sources list is read by the Commission and the partnership, who want to know which
documents a statement rests on, not how many sections of one report were quoted: the list
names each document once (title, the sections or pages cited, link). The exact passage behind
each sentence or row travels with the item instead (`Evidence`), and a review copy shows it
beside the item. Answers and CLI listings keep `assistant.sources.SourceBook` (one number per
place), where a single list is short and the place matters more.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..memory.models import SourceRef
from ..models import Citation
from ..sources import QUOTE_JOIN

PLACES_JOIN = "; "


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    """The passage one citation of an item rests on: its source number, the verbatim quote
    and where in the document it stands. A review copy shows it beside the item."""

    n: int
    quote: str
    where: str = ""


@dataclass(slots=True)
class _Entry:
    citation: Citation
    pages: list[int] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    quotes: list[str] = field(default_factory=list)


def place(page: int | None, section: str) -> str:
    """'p. 3 / Innovative results', 'Innovative results', 'p. 3' or ''."""
    return " / ".join(p for p in (f"p. {page}" if page else "", section.strip()) if p)


def _summary(pages: list[int], sections: list[str]) -> str:
    """'pp. 3, 5; I. Management report; II. Progress report': the pages, then the top-level
    headings cited (a heading path's first part: the list names the parts of a document)."""
    parts = []
    if pages:
        parts.append(("p. " if len(pages) == 1 else "pp. ") + ", ".join(map(str, pages)))
    tops = list(dict.fromkeys(s.split(">")[0].strip() for s in sections if s.strip()))
    return PLACES_JOIN.join(parts + tops)


@dataclass(slots=True)
class DocumentBook:
    """Citation numbers per document in order of first use, each document's cited places and
    quotes gathered (the same interface as `SourceBook`: `cite`, `cite_ref`, `citations`)."""

    _by_doc: dict[str, _Entry] = field(default_factory=dict)

    def cite(self, *, doc_id: str, title: str, quote: str, page: int | None = None,
             section: str = "", url: str | None = None) -> int:
        return self.evidence(doc_id=doc_id, title=title, quote=quote, page=page,
                             section=section, url=url).n

    def cite_ref(self, ref: SourceRef) -> int:
        return self.evidence_ref(ref).n

    def evidence_ref(self, ref: SourceRef) -> Evidence:
        return self.evidence(doc_id=ref.doc_id, title=ref.title, quote=ref.quote,
                             page=ref.page, section=ref.section, url=ref.url)

    def evidence(self, *, doc_id: str, title: str, quote: str, page: int | None = None,
                 section: str = "", url: str | None = None) -> Evidence:
        """Cite one passage: its document's number, and the passage for a review comment."""
        entry = self._by_doc.get(doc_id)
        if entry is None:
            entry = _Entry(Citation(n=len(self._by_doc) + 1, doc_id=doc_id, title=title,
                                    quote="", url=url))
            self._by_doc[doc_id] = entry
        if url and not entry.citation.url:
            entry.citation.url = url
        where = place(page, section)
        if page and page not in entry.pages:
            entry.pages.append(page)
        if section and section not in entry.sections:
            entry.sections.append(section)
        quote = " ".join(quote.split())
        if quote and quote not in entry.quotes:
            entry.quotes.append(quote)
        return Evidence(n=entry.citation.n, quote=quote, where=where)

    def citations(self) -> list[Citation]:
        """One citation per document; `section` lists the places cited, `quote` the quotes."""
        out = []
        for entry in sorted(self._by_doc.values(), key=lambda e: e.citation.n):
            c = entry.citation
            out.append(Citation(n=c.n, doc_id=c.doc_id, title=c.title,
                                quote=QUOTE_JOIN.join(entry.quotes), page=None,
                                section=_summary(sorted(entry.pages), entry.sections), url=c.url))
        return out
