"""Plain data passed between the layers: loaders -> chunker -> store -> search -> answerer -> edges.

Dataclasses, not pydantic: these are created by the thousand on hot paths and never validated
from user input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, Sequence

BlockKind = Literal["heading", "text", "list_item", "table_row", "qa"]


@dataclass(frozen=True, slots=True)
class Block:
    """One structural unit of a loaded document, in reading order.

    `heading` blocks carry a `level` (1 = top). `table_row` text is already rendered with its
    column headers ("Event: ...; Date: ...; Place: ..."). `qa` is a form question with its answer.
    `start`/`end` are character offsets of the block in `Document.text`.
    """

    kind: BlockKind
    text: str
    page: int | None = None
    level: int = 0
    start: int = 0
    end: int = 0


@dataclass(slots=True)
class Document:
    """A loaded file: `doc_id` is its path relative to the corpus root (posix separators)."""

    doc_id: str
    title: str
    text: str
    blocks: list[Block]
    url: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Chunk:
    """The unit that is embedded, indexed, retrieved and cited."""

    chunk_id: str
    doc_id: str
    title: str
    text: str
    section: str = ""  # heading path, " > "-joined
    page: int | None = None
    start: int = 0
    end: int = 0
    url: str | None = None
    kind: str = "text"  # "text" | "table" | "qa"

    def embedding_text(self) -> str:
        """Text given to the embedder and the lexical index: title and section give context
        that the chunk body often leaves implicit ("the partnership", "this event")."""
        head = " | ".join(p for p in (self.title, self.section) if p)
        return f"{head}\n{self.text}" if head else self.text


@dataclass(slots=True)
class Hit:
    """A retrieved chunk with its fused score and, where known, its component scores."""

    chunk: Chunk
    score: float
    dense: float | None = None
    lexical: float | None = None


@dataclass(slots=True)
class Citation:
    n: int
    doc_id: str
    title: str
    quote: str
    page: int | None = None
    section: str = ""
    url: str | None = None
    language: str | None = None  # ISO 639-1 of the quote when it differs from the question's

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "doc": self.doc_id,
            "title": self.title,
            "page": self.page,
            "section": self.section,
            "quote": self.quote,
            "url": self.url,
            "language": self.language,
        }

    def label(self) -> str:
        """Human-readable locator: 'Title — p. 3 / Section'."""
        where = " / ".join(p for p in (f"p. {self.page}" if self.page else "", self.section) if p)
        return f"{self.title} — {where}" if where else self.title


NOT_FOUND = "I could not find this in the project documents."


@dataclass(slots=True)
class Answer:
    question: str
    text: str
    answered: bool
    citations: list[Citation] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    id: str | None = None
    # Calibrated probability that the answer is right (see assistant/answering/calibration.py).
    confidence: float = 0.0
    # True when the text is the closest passage rather than an answer (it says so in its text).
    hedged: bool = False
    # The question as searched when it differs from what was typed (spelling corrected,
    # follow-up made self-contained); shown to the user as "Searched for: ...".
    searched_for: str | None = None
    # Raw answerer signals (coverage, answer-type match, margins...) the calibrator reads.
    # Not part of the JSON contract.
    signals: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The CLI's answer contract; `retrieved` lists the hits in rank order (the service
        keeps at least the top 5, or k when more were asked for)."""
        return {
            "id": self.id,
            "question": self.question,
            "answer": self.text,
            "answered": self.answered,
            "confidence": round(self.confidence, 4),
            "hedged": self.hedged,
            "searched_for": self.searched_for,
            "citations": [c.to_json() for c in self.citations],
            "retrieved": [
                {
                    "doc": h.chunk.doc_id,
                    "page": h.chunk.page,
                    "section": h.chunk.section,
                    "text": h.chunk.text,
                    "score": round(h.score, 6),
                }
                for h in self.hits
            ],
        }


@dataclass(frozen=True, slots=True)
class CitedSentence:
    """One sentence of generated prose and the 1-based passage numbers it cites (never empty)."""

    text: str
    refs: tuple[int, ...]


class ProseWriter(Protocol):
    """Writes fluent, cited prose from numbered passages (the optional LLM backend).

    Returns only sentences whose citations point at given passages; raises BackendError on
    any failure or when nothing cited survives, so callers fall back to extractive text."""

    def write(self, *, task: str, passages: Sequence[str]) -> list[CitedSentence]: ...
