"""`/remix draft`: arguments, the drafting kit, and Markdown -> Slack messages within Block Kit limits.

The drafting itself (``assistant.drafting``) is another team's module; the Slack layer needs
only its public surface — ``SECTIONS``, ``render_markdown(draft)``, ``render_docx(draft)`` —
so it is reached through the small ``DraftingKit`` protocol, imported lazily (a bot without
drafting still answers questions) and replaceable in tests.

Slack does not render Markdown: headings, ``**bold**``, links and tables are rewritten into
mrkdwn. Tables become one line per row (the header once, in italics, then ``• *first cell*
· cell · cell``), which stays readable on a phone where a code block would wrap into noise
and would lose the links.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from assistant.memory.models import Period
from assistant.slack.blocks import (
    MAX_BLOCKS,
    TEXT_LIMIT,
    Message,
    escape,
    section,
    split_text,
)

MESSAGE_CHARS = 12_000  # per thread message: long drafts read better as several messages
LIST_WORDS = ("", "list", "--list", "-l", "help")


class DraftingKit(Protocol):
    """What the bot needs from ``assistant.drafting`` (a module satisfies it as is)."""

    SECTIONS: Mapping[str, Any]  # name -> spec with .title and .description

    def render_markdown(self, draft: Any) -> str: ...

    def render_docx(self, draft: Any) -> bytes: ...


def load_kit() -> DraftingKit | None:
    """``assistant.drafting`` if it is installed and complete, else None."""
    try:
        kit: Any = importlib.import_module("assistant.drafting")
    except ImportError:
        return None
    needed = ("SECTIONS", "render_markdown", "render_docx")
    return kit if all(hasattr(kit, name) for name in needed) else None


# --------------------------------------------------------------------------- arguments


@dataclass(frozen=True, slots=True)
class DraftRequest:
    section: str
    period: Period | None = None

    def label(self) -> str:
        return self.period.label() if self.period else "all dates"


def parse_args(args: str) -> DraftRequest | None:
    """``SECTION [PERIOD]``; None means "list the sections". ValueError explains bad input."""
    words = args.split()
    if not words or words[0].lower() in LIST_WORDS:
        return None
    if len(words) > 2:
        raise ValueError("expected `/remix draft SECTION [PERIOD]`, e.g. "
                         "`/remix draft past-events 2020-01..2020-06`")
    period = Period.parse(words[1]) if len(words) == 2 else None
    return DraftRequest(section=words[0].lower(), period=period)


def section_title(kit: DraftingKit, name: str) -> str:
    spec = kit.SECTIONS.get(name)
    return str(getattr(spec, "title", "") or name)


def sections_message(kit: DraftingKit | None, command: str = "/remix") -> Message:
    if kit is None:
        return Message(text="Drafting is not available in this installation.",
                       blocks=[section("Drafting is not available in this installation.")])
    lines = [f"• `{escape(name)}` — *{escape(section_title(kit, name))}*: "
             f"{escape(str(getattr(spec, 'description', '')))}"
             for name, spec in kit.SECTIONS.items()]
    body = (f"*Report sections I can draft* — `{command} draft SECTION [PERIOD]`, "
            f"e.g. `{command} draft {next(iter(kit.SECTIONS), 'SECTION')} 2020-01..2020-06`\n"
            + "\n".join(lines))
    return Message(text=f"Sections: {', '.join(kit.SECTIONS)}",
                   blocks=[section(c) for c in split_text(body, escaped=True)][:MAX_BLOCKS])


# --------------------------------------------------------------------------- Markdown -> mrkdwn

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+(.*)$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_ITALIC = re.compile(r"(?<![*\w])\*(?=\S)([^*]+?)(?<=\S)\*(?![*\w])")


def inline(text: str) -> str:
    """One line of Markdown inline markup -> escaped mrkdwn (links, bold, italics)."""
    out, last = [], 0
    for m in _LINK.finditer(text):  # links first: their URL must not be escaped or re-styled
        out.append(_styles(escape(text[last:m.start()])))
        label, url = m.group(1), m.group(2)
        if url.startswith(("http://", "https://", "mailto:")):
            out.append(f"<{url}|{escape(label).replace('|', '¦')}>")
        else:
            out.append(_styles(escape(label)))
        last = m.end()
    out.append(_styles(escape(text[last:])))
    return "".join(out)


def _styles(text: str) -> str:
    text = _ITALIC.sub(lambda m: f"_{m.group(1)}_", text)
    return _BOLD.sub(lambda m: f"*{m.group(2)}*", text)


def _cells(row: str) -> list[str]:
    row = row.strip()
    row = row.removeprefix("|")
    row = row.removesuffix("|")
    return [c.strip() for c in re.split(r"(?<!\\)\|", row)]


def table_lines(rows: list[str]) -> list[str]:
    """A Markdown table -> header line in italics, then one bullet line per row."""
    has_header = len(rows) > 1 and _TABLE_SEP.match(rows[1]) is not None
    header = _cells(rows[0]) if has_header else []
    body = rows[2:] if has_header else rows
    out = [f"_{' · '.join(escape(h) for h in header if h)}_"] if any(header) else []
    for row in body:
        cells = [inline(c) for c in _cells(row)]
        first, rest = (cells[0], cells[1:]) if cells else ("", [])
        shown = ([f"*{first}*"] if first else []) + [c for c in rest if c]
        out.append("• " + " · ".join(shown))
    return out


def markdown_to_mrkdwn(markdown: str) -> str:
    lines = markdown.replace("\r\n", "\n").split("\n")
    out: list[str] = []
    i, in_code = 0, False
    while i < len(lines):
        line = lines[i]
        if line.strip().startswith("```"):
            in_code = not in_code
            out.append("```")
        elif in_code:
            out.append(escape(line))
        elif line.lstrip().startswith("|"):
            j = i
            while j < len(lines) and lines[j].lstrip().startswith("|"):
                j += 1
            out.extend(table_lines(lines[i:j]))
            i = j
            continue
        elif m := _HEADING.match(line):
            text = inline(m.group(2)).replace("*", "")
            out.append(f"*{text}*" if text else "")
        elif m := _BULLET.match(line):
            out.append(f"{m.group(1)}• {inline(m.group(2))}")
        else:
            out.append(inline(line))
        i += 1
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()


def draft_messages(markdown: str, *, max_blocks: int = MAX_BLOCKS,
                   message_chars: int = MESSAGE_CHARS) -> list[Message]:
    """The draft as thread messages: sections <= 3000 chars, <= ``max_blocks`` per message."""
    chunks = split_text(markdown_to_mrkdwn(markdown) or "(empty draft)", escaped=True)
    messages: list[Message] = []
    current: list[str] = []
    for chunk in chunks:
        if current and (len(current) >= max_blocks
                        or sum(map(len, current)) + len(chunk) > message_chars):
            messages.append(_message(current))
            current = []
        current.append(chunk)
    if current:
        messages.append(_message(current))
    return messages


def _message(chunks: list[str]) -> Message:
    text = "\n\n".join(chunks)
    return Message(text=text[:TEXT_LIMIT], blocks=[section(c) for c in chunks])


def docx_filename(request: DraftRequest) -> str:
    suffix = f"-{request.period.start:%Y-%m}_{request.period.end:%Y-%m}" if request.period else ""
    return f"draft-{request.section}{suffix}.docx"
