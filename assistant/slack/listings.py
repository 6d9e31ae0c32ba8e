"""`/remix regions [ROLE]`, `/remix glossary [TERM]`, `/remix sources`: arguments and the
ephemeral messages, like `/remix events` (``assistant.slack.agenda``).

The rows come from the service already filtered by the audience (the structured memory and
the document list of what that conversation may see); this module only selects, groups and
renders them within Block Kit limits, each row with its source like an answer's citations.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assistant.memory.models import Region, SourceRef, Term
from assistant.memory.query import fold, grouped
from assistant.slack.agenda import source_link
from assistant.slack.blocks import (
    MAX_BLOCKS,
    TEXT_LIMIT,
    Message,
    escape,
    section,
    split_text,
)

ROLES = ("leading", "participating", "partner", "mentioned")
_ROLE_ALIASES = {"lead": "leading", "leader": "leading", "leaders": "leading", "led": "leading",
                 "participant": "participating", "participants": "participating",
                 "participate": "participating", "partners": "partner", "other": "mentioned"}
ROLE_USAGE = "`/remix regions [ROLE]` with ROLE one of " + ", ".join(ROLES)


def parse_role(args: str) -> str | None:
    """The ROLE argument (None = every role). ValueError names the valid roles."""
    words = args.split()
    if not words:
        return None
    word = words[0].lower()
    role = word if word in ROLES else _ROLE_ALIASES.get(word)
    if role is None or len(words) > 1:
        raise ValueError(f"'{args.strip()}' is not a region role; use {ROLE_USAGE}")
    return role


def _listing(header: str, lines: Sequence[str], fallback: str, *, what: str,
             max_blocks: int = MAX_BLOCKS) -> Message:
    """Header + one line per row, within Block Kit limits (extra rows: "…and N more")."""
    chunks = split_text("\n".join([header, *lines]), escaped=True)
    if len(chunks) > max_blocks:
        shown = sum(c.count("\n") + 1 for c in chunks[: max_blocks - 1]) - 1
        chunks = chunks[: max_blocks - 1] + [f"…and {len(lines) - shown} more {what}."]
    return Message(text=escape(fallback)[:TEXT_LIMIT], blocks=[section(c) for c in chunks])


def _nothing(text: str) -> Message:
    return Message(text=escape(text), blocks=[section(escape(text))])


def _sources(refs: Sequence[SourceRef], limit: int = 2) -> str:
    """The first sources of a grouped row (a region named in ten documents lists two)."""
    seen: dict[str, SourceRef] = {}
    for ref in refs:
        seen.setdefault(ref.doc_id, ref)
    links = [source_link(r) for r in list(seen.values())[:limit]]
    more = len(seen) - limit
    return ", ".join(links) + (f" +{more}" if more > 0 else "")


def region_line(region: Region, refs: Sequence[SourceRef]) -> str:
    details = " ".join(p for p in (f"({region.country})" if region.country else "", region.nuts or "") if p)
    parts = [f"*{escape(region.name)}*" + (f" {escape(details)}" if details else ""), escape(region.role)]
    return "• " + " — ".join(parts) + f" — {_sources(refs)}"


def regions_message(regions: Sequence[Region], role: str | None) -> Message:
    """Leading regions first, then by role and name; one line per region and role."""
    chosen = [r for r in regions if role is None or r.role == role]
    chosen.sort(key=lambda r: (r.role != "leading", r.role, fold(r.name)))
    rows = grouped(chosen, lambda r: (fold(r.name), r.nuts, r.role))
    label = f"{role} regions" if role else "regions"
    if not rows:
        return _nothing(f"I found no {label} in the project documents.")
    header = f"*{len(rows)} {label if len(rows) != 1 else label[:-1]} in the project documents*"
    fallback = f"{len(rows)} {label}: " + "; ".join(f"{r.name} ({r.role})" for r, _ in rows)
    return _listing(header, [region_line(r, refs) for r, refs in rows], fallback, what=label)


def matching_terms(terms: Sequence[Term], term: str) -> list[Term]:
    """An acronym asked for by name (CoMMER), else the entries whose expansion has the words."""
    wanted = fold(term)
    if not wanted:
        return list(terms)
    exact = [t for t in terms if fold(t.acronym) == wanted]
    return exact or [t for t in terms if wanted in fold(t.expansion)]


def glossary_message(terms: Sequence[Term], term: str) -> Message:
    found = sorted(matching_terms(terms, term), key=lambda t: (fold(t.acronym), fold(t.expansion)))
    rows = grouped(found, lambda t: (t.acronym, fold(t.expansion)))
    if not rows:
        asked = f" for “{term.strip()}”" if term.strip() else ""
        return _nothing(f"I found no acronym{asked} in the project documents. "
                        "Try `/remix glossary` for the whole list, or ask a question.")
    lines = [f"• *{escape(t.acronym)}* — {escape(t.expansion)} — {_sources(refs, 1)}" for t, refs in rows]
    header = (f"*{escape(term.strip())}*" if term.strip() else
              f"*{len(rows)} acronyms defined in the project documents*")
    fallback = "; ".join(f"{t.acronym}: {t.expansion}" for t, _ in rows)
    return _listing(header, lines, fallback, what="acronyms")


def document_line(doc: Any) -> str:
    title = escape(doc.title or doc.doc_id).replace("|", "¦")
    head = f"<{doc.url}|{title}>" if doc.url and doc.url.startswith(("http://", "https://")) else title
    return f"• {head} — {doc.chunks} passage{'s' * (doc.chunks != 1)}"


def sources_message(overview: Any) -> Message:
    """What the bot knows here: the visible documents by title, their count and passages, and
    when the index was built (``overview`` is ``assistant.service.SourcesOverview``)."""
    docs = list(overview.documents)
    built = overview.built.strftime("%Y-%m-%d %H:%M %Z").strip() if overview.built else "an unknown time"
    if not docs:
        return _nothing(f"I have no documents that this conversation may see (index built {built}).")
    chunks = sum(d.chunks for d in docs)
    header = (f"*I know {len(docs)} document{'s' * (len(docs) != 1)} here* "
              f"({chunks} passage{'s' * (chunks != 1)}; "
              f"index built {escape(built)}). Ask about anything in them:")
    fallback = f"{len(docs)} documents, {chunks} passages, index built {built}: " + "; ".join(
        d.title or d.doc_id for d in docs)
    return _listing(header, [document_line(d) for d in docs], fallback, what="documents")
