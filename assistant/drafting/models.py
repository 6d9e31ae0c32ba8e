"""Data of a drafted report section: traceable items (sentences, bullets, table rows), the
sources they cite, and notes on how the draft was made.

Every item must cite at least one source: a draft is only useful to a coordinator if each
sentence or row can be checked against the documents, so an uncited item is a bug, refused at
construction rather than discovered in review.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from ..memory.models import Period
from ..models import Citation
from .citing import DocumentBook as SourceBook  # noqa: F401  (one number per document)
from .citing import Evidence

ItemKind = Literal["sentence", "paragraph", "bullet", "row", "field"]
SectionKind = Literal["table", "narrative", "composite", "fields"]


@dataclass(slots=True, kw_only=True)
class DraftItem:
    """One sentence, list bullet or table row and the citation numbers it rests on."""

    kind: ItemKind
    text: str
    refs: tuple[int, ...]
    cells: tuple[str, ...] = ()  # table rows only, in the draft's column order
    data: dict[str, Any] = field(default_factory=dict)  # machine-readable extras (ISO dates)
    evidence: tuple[Evidence, ...] = ()  # the quotes behind `refs`, for review comments
    url: str | None = None  # a link the item's text stands for (the partnership's webpage)

    def __post_init__(self) -> None:
        if not self.refs and self.kind != "field":  # a field may be the coordinator's choice
            raise ValueError(f"draft item without a source: {self.text!r}")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "text": self.text, "citations": list(self.refs)}
        if self.cells:
            out["cells"] = list(self.cells)
        if self.data:
            out["data"] = dict(self.data)
        if self.evidence:
            out["evidence"] = [{"n": e.n, "quote": e.quote, "where": e.where}
                               for e in self.evidence]
        return out


@dataclass(slots=True, kw_only=True)
class Draft:
    """A drafted section, or the whole report (`subsections`, one shared sources list).

    Rendering order within a section: prose (sentences and bullets), then the table (rows under
    `columns`), then `empty` when the section found nothing. `notes` are for the coordinator
    (how the draft was made, what to check): renderers keep them out of the report body."""

    section: str
    title: str
    kind: SectionKind
    prompt: str = ""  # the report form's own wording of the question this section answers
    part: str = ""  # "header", "I. Management report" or "II. Progress report"
    group: str = ""  # the form's heading above the prompt ("Innovative results")
    numbered: bool = False  # rows get the form's "#" column
    period: Period | None = None
    items: list[DraftItem] = field(default_factory=list)
    columns: tuple[str, ...] = ()
    empty: str | None = None  # "No material found …" when there is nothing to say
    notes: list[str] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)  # n == position + 1
    subsections: list[Draft] = field(default_factory=list)
    created: date | None = None
    carried_from: str | None = None  # "January–June 2020 report": text carried over to review
    to_confirm: list[DraftItem] = field(default_factory=list)  # planned, not known to be held
    partnership: str | None = None  # the partnership's name, as its reports give it

    @property
    def prose(self) -> list[DraftItem]:
        return [i for i in self.items if i.kind != "row"]

    @property
    def rows(self) -> list[DraftItem]:
        return [i for i in self.items if i.kind == "row"]

    def all_items(self) -> list[DraftItem]:
        """This draft's items and those of its subsections, in reading order."""
        return self.items + [i for sub in self.subsections for i in sub.all_items()]

    def to_json(self) -> dict[str, Any]:
        out = self._body()
        out["sources"] = [c.to_json() for c in self.citations]
        return out

    def _body(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "title": self.title,
            "kind": self.kind,
            "prompt": self.prompt,
            "part": self.part,
            "group": self.group,
            "period": _period_json(self.period),
            "created": self.created.isoformat() if self.created else None,
            "notes": list(self.notes),
            "columns": list(self.columns),
            "items": [i.to_json() for i in self.items],
            "empty": self.empty,
            "carried_from": self.carried_from,
            "to_confirm": [i.to_json() for i in self.to_confirm],
            "partnership": self.partnership,
            "sections": [s._body() for s in self.subsections],
        }


def _period_json(period: Period | None) -> dict[str, str] | None:
    if period is None:
        return None
    return {"start": period.start.isoformat(), "end": period.end.isoformat(),
            "label": period.label()}


