"""Markdown for a draft: `## Title`, prose with [n] markers, tables with a Source column, and
one numbered sources list at the end (the whole report shares one)."""

from __future__ import annotations

from ..models import Citation
from .models import Draft, DraftItem
from .periods import period_text


def render_markdown(draft: Draft) -> str:
    lines: list[str] = []
    if draft.subsections:
        lines += [f"# {report_heading(draft)}", ""]
        lines += _notes(draft.notes)
        for sub in draft.subsections:
            lines += _section(sub)
    else:
        lines += _section(draft)
    lines += _sources(draft.citations)
    return "\n".join(lines).rstrip() + "\n"


def report_heading(draft: Draft) -> str:
    return f"{draft.title} — {period_text(draft.period)}" if draft.period else draft.title


def _section(draft: Draft) -> list[str]:
    lines = [f"## {draft.title}", ""]
    lines += _notes(draft.notes)
    lines += _prose(draft.prose)
    if draft.rows:
        lines += _table(draft.columns, draft.rows)
    if draft.empty:
        lines += [f"_{draft.empty}_", ""]
    return lines


def _notes(notes: list[str]) -> list[str]:
    return [f"> Note: {n}" for n in notes] + ([""] if notes else [])


def markers(refs: tuple[int, ...]) -> str:
    return "".join(f"[{n}]" for n in refs)


def _prose(items: list[DraftItem]) -> list[str]:
    lines: list[str] = []
    sentences: list[str] = []
    for item in items:
        if item.kind == "bullet":
            if sentences:
                lines += [" ".join(sentences), ""]
                sentences = []
            lines.append(f"- {item.text} {markers(item.refs)}")
        else:
            if lines and lines[-1].startswith("- "):
                lines.append("")
            sentences.append(f"{item.text} {markers(item.refs)}")
    if sentences:
        lines.append(" ".join(sentences))
    return lines + ([""] if lines else [])


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _table(columns: tuple[str, ...], rows: list[DraftItem]) -> list[str]:
    head = [*columns, "Source"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        cells = [_cell(c) for c in row.cells] + [markers(row.refs)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines + [""]


def source_line(citation: Citation) -> str:
    """'Title — p. 3 / Section. URL' (no number: lists number their entries)."""
    line = citation.label()
    return f"{line}. {citation.url}" if citation.url else line


def _sources(citations: list[Citation]) -> list[str]:
    if not citations:
        return []
    return ["### Sources", ""] + [f"{c.n}. {source_line(c)}" for c in citations]
