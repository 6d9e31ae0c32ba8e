"""Markdown for a draft, laid out as the report form: the header fields, then "I. Management
report" and "II. Progress report" with the form's headings and prompts in order, tables with
the form's own columns and numbered rows, [n] markers after each sentence and in the first cell
of each row, and one sources list naming each document once.

Notes for the coordinator (the period chosen, text carried over, events to confirm) are not
part of the report: `notes=True` (the default, for Slack threads) puts them after the sources
under their own heading; the CLI asks for `notes=False` and prints them on stderr.
"""

from __future__ import annotations

from ..models import Citation
from .models import Draft, DraftItem
from .periods import period_text

NOTES_HEADING = "Notes for the coordinator (not part of the report)"


def render_markdown(draft: Draft, *, notes: bool = True) -> str:
    lines: list[str] = []
    if draft.subsections:
        lines += [f"# {report_heading(draft)}", ""]
        part = group = None
        for sub in draft.subsections:
            if sub.part and sub.part != part and sub.part != "header":
                lines += [f"## {sub.part}", ""]
                part, group = sub.part, None
            if sub.group and sub.group != group:
                lines += [f"### {sub.group}", ""]
                group = sub.group
            level = 4 if sub.group else 3
            heading = sub.prompt or sub.title
            lines += _section(sub, f"{'#' * level} {heading}" if sub.part != "header" else None)
    else:
        lines += _section(draft, f"## {draft.title}")
    lines += _sources(draft.citations)
    if notes:
        lines += _notes(draft)
    return "\n".join(lines).rstrip() + "\n"


def report_heading(draft: Draft) -> str:
    return f"{draft.title} — {period_text(draft.period)}" if draft.period else draft.title


def _section(draft: Draft, heading: str | None) -> list[str]:
    lines = [heading, ""] if heading else []
    if draft.kind == "fields":
        lines += _fields(draft.items)
    lines += _prose([i for i in draft.prose if i.kind != "field"])
    if draft.rows:
        lines += _table(draft.columns, draft.rows, numbered=draft.numbered)
    if draft.empty:
        lines += [f"_{draft.empty}_", ""]
    return lines


def coordinator_notes(draft: Draft) -> list[str]:
    """Every note of the draft and its sections, each once, prefixed with its section."""
    out: list[str] = []
    for d in [draft, *draft.subsections]:
        where = "" if d is draft and draft.subsections else f"{d.title}: "
        for note in d.notes:
            out.append(f"{where}{note}")
    return list(dict.fromkeys(out))


def _notes(draft: Draft) -> list[str]:
    found = coordinator_notes(draft)
    if not found:
        return []
    return ["", "---", "", f"### {NOTES_HEADING}", ""] + [f"- {n}" for n in found] + [""]


def markers(refs: tuple[int, ...]) -> str:
    return "".join(f"[{n}]" for n in refs)


def _cited(text: str, refs: tuple[int, ...]) -> str:
    return f"{text} {markers(refs)}".rstrip()


def _fields(items: list[DraftItem]) -> list[str]:
    lines = []
    for item in items:
        label, value = item.cells
        lines += [f"**{label}:** {_cited(value, item.refs)}", ""]
    return lines


def _prose(items: list[DraftItem]) -> list[str]:
    lines: list[str] = []
    sentences: list[str] = []

    def flush() -> None:
        nonlocal sentences
        if sentences:
            if lines and lines[-1].startswith("- "):
                lines.append("")
            lines.extend([" ".join(sentences), ""])
            sentences = []

    for item in items:
        if item.kind == "bullet":
            flush()
            lines.append(f"- {_cited(item.text, item.refs)}")
        elif item.kind == "paragraph":
            flush()
            if lines and lines[-1].startswith("- "):
                lines.append("")
            lines += [_cited(item.text, item.refs), ""]
        else:
            if lines and lines[-1].startswith("- "):
                lines.append("")
            sentences.append(_cited(item.text, item.refs))
    flush()
    if lines and lines[-1] != "":
        lines.append("")
    return lines


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _table(columns: tuple[str, ...], rows: list[DraftItem], *, numbered: bool) -> list[str]:
    head = (["#"] if numbered else []) + list(columns)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for n, row in enumerate(rows, 1):
        cells = [_cell(c) for c in row.cells]
        cells[0] = _cited(cells[0], row.refs)
        lines.append("| " + " | ".join(([str(n)] if numbered else []) + cells) + " |")
    return lines + [""]


def source_line(citation: Citation) -> str:
    """'Title — sections cited. URL' (no number: lists number their entries)."""
    line = citation.label()
    return f"{line}. {citation.url}" if citation.url else line


def _sources(citations: list[Citation]) -> list[str]:
    if not citations:
        return []
    return ["### Sources", ""] + [f"{c.n}. {source_line(c)}" for c in citations]
