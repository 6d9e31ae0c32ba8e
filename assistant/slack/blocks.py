"""Pure Block Kit rendering: Answer -> Slack message (text fallback + blocks).

Kept free of I/O so that every Slack limit can be unit-tested without a server. Limits that
Slack enforces by rejecting the whole message (``invalid_blocks``/``msg_too_long``) are applied
here, so a long answer degrades to "split into several sections, sources truncated" instead of
an error in the user's thread:

* section text <= 3000 chars (long answers are split on paragraph, then line, then sentence,
  then word boundaries);
* <= 50 blocks per message, <= 10 elements per context block (extra sources: "…and N more");
* the plain ``text`` fallback is always set and <= 40000 chars.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.models import Answer, Citation

SECTION_LIMIT = 3000
MAX_BLOCKS = 50
CONTEXT_ELEMENTS = 10
TEXT_LIMIT = 40000
BUTTON_VALUE_LIMIT = 2000
DEFAULT_MAX_SOURCES = 10

ACTION_HELPFUL = "feedback_helpful"
ACTION_NOT_HELPFUL = "feedback_not_helpful"
ACTION_SHARE = "share_answer"
VERDICT_BY_ACTION = {ACTION_HELPFUL: "helpful", ACTION_NOT_HELPFUL: "not_helpful"}

WORKING_TEXT = "Looking through the project documents…"
APOLOGY_TEXT = "Sorry, something went wrong while answering; the team has been notified."
THANKS_TEXT = "Thanks for the feedback!"

Block = dict[str, Any]


@dataclass(slots=True)
class Message:
    """What every Slack post needs: the notification/accessibility text and the blocks."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def as_kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


# --------------------------------------------------------------------------- text helpers


def escape(text: str) -> str:
    """Slack mrkdwn needs exactly these three characters escaped (the rest is literal)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_link_label(text: str) -> str:
    # "|" and ">" would end the <url|label> token early.
    return escape(text).replace("|", "¦")


def _truncate(text: str, limit: int, marker: str = "…") -> str:
    return text if len(text) <= limit else text[: limit - len(marker)].rstrip() + marker


# Zero-width boundaries, coarse to fine: concatenating the pieces gives back the text exactly,
# which is what lets the tests assert that splitting loses nothing.
_BOUNDARIES: tuple[re.Pattern[str], ...] = (
    re.compile(r"(?<=\n\n)"),  # paragraphs
    re.compile(r"(?<=\n)"),  # lines
    re.compile(r"(?<=[.!?;:])(?=\s)"),  # sentences
    re.compile(r"(?<=\s)"),  # words
)


def _pieces(text: str, limit: int, measure: Callable[[str], int], level: int = 0) -> list[str]:
    """Cut ``text`` into pieces of measured length <= limit, preferring coarse boundaries."""
    if measure(text) <= limit:
        return [text]
    if level == len(_BOUNDARIES):  # one unbreakable "word" longer than a section: hard cut
        out: list[str] = []
        cur = ""
        for ch in text:
            if cur and measure(cur + ch) > limit:
                out.append(cur)
                cur = ""
            cur += ch
        return out + ([cur] if cur else [])
    parts = [p for p in _BOUNDARIES[level].split(text) if p]
    return [q for part in parts for q in _pieces(part, limit, measure, level + 1)]


def split_text(text: str, limit: int = SECTION_LIMIT, *, escaped: bool = False) -> list[str]:
    """Split raw answer text into chunks whose *escaped* length is <= ``limit``.

    Pieces are packed greedily, so a 3500-char answer becomes two sections, not twenty.
    Leading/trailing whitespace of each chunk is stripped (Slack would drop it anyway).
    ``escaped=True`` for text that is already mrkdwn (measured as is).
    """
    measure: Callable[[str], int] = len if escaped else (lambda s: len(escape(s)))
    chunks: list[str] = []
    cur = ""
    for piece in _pieces(text, limit, measure):
        if cur and measure(cur + piece) > limit:
            chunks.append(cur)
            cur = piece
        else:
            cur += piece
    if cur:
        chunks.append(cur)
    return [c.strip() for c in chunks if c.strip()]


# --------------------------------------------------------------------------- block builders


def section(mrkdwn: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn[:SECTION_LIMIT]}}


def context(elements: Iterable[str]) -> Block:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": e[:SECTION_LIMIT]} for e in elements][
            :CONTEXT_ELEMENTS
        ],
    }


def button(text: str, action_id: str, value: str, *, style: str | None = None) -> Block:
    if len(value) > BUTTON_VALUE_LIMIT:
        raise ValueError(f"button value is {len(value)} chars; Slack allows {BUTTON_VALUE_LIMIT}")
    b: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "action_id": action_id,
        "value": value,
    }
    if style:
        b["style"] = style
    return b


def source_line(c: Citation, *, link: bool = True) -> str:
    """``[1] <url|Title> — p. 3 / Section``: linked when the citation has a URL, plain otherwise."""
    where = " / ".join(p for p in (f"p. {c.page}" if c.page else "", c.section) if p)
    title = c.title or c.doc_id
    if link and c.url and c.url.startswith(("http://", "https://")):
        head = f"<{c.url}|{_escape_link_label(title)}>"
    else:
        head = escape(title)
    return f"[{c.n}] {head}" + (f" — {escape(where)}" if where else "")


def _source_blocks(label: str, citations: Sequence[Citation], budget: int, max_sources: int) -> list[Block]:
    """Context blocks listing sources, using at most ``budget`` blocks."""
    if budget <= 0 or not citations:
        return []
    slots = budget * CONTEXT_ELEMENTS - 1  # one element is the label
    shown = list(citations[:max_sources])
    if len(shown) > slots or len(shown) < len(citations):
        room = min(len(shown), slots - 1)
        shown = shown[:room]
    elements = [f"*{label}*"] + [source_line(c) for c in shown]
    hidden = len(citations) - len(shown)
    if hidden > 0:
        elements.append(f"…and {hidden} more")
    return [
        context(elements[i : i + CONTEXT_ELEMENTS])
        for i in range(0, len(elements), CONTEXT_ELEMENTS)
    ]


def feedback_actions(key: str, *, share: bool = False) -> Block:
    elements = [
        button("👍 Helpful", ACTION_HELPFUL, key),
        button("👎 Not helpful", ACTION_NOT_HELPFUL, key),
    ]
    if share:
        elements.insert(0, button("Share in channel", ACTION_SHARE, key, style="primary"))
    return {"type": "actions", "block_id": "answer_actions", "elements": elements}


def plain_text(answer: Answer, *, limit: int = TEXT_LIMIT) -> str:
    """Notification / screen-reader fallback: answer text plus unlinked sources.

    Slack parses ``text`` as mrkdwn too, so it is escaped like the blocks.
    """
    label = "Sources" if answer.answered else "Nearest sources"
    lines = [answer.text.strip()]
    if answer.citations:
        lines.append(f"\n{label}:")
        for c in answer.citations:
            lines.append(f"[{c.n}] {c.label()}" + (f" ({c.url})" if c.url else ""))
    return _truncate(escape("\n".join(lines)), limit)


_CUT = " _(answer truncated)_"


def render_answer(
    answer: Answer,
    *,
    key: str | None,
    share: bool = False,
    header: str | None = None,
    feedback_note: str | None = None,
    max_sources: int = DEFAULT_MAX_SOURCES,
    max_blocks: int = MAX_BLOCKS,
) -> Message:
    """Answer sections, then sources (context), then feedback (and share) buttons.

    ``key`` is the short server-side id of the stored answer payload; buttons carry only it.
    ``header`` is an optional mrkdwn context line above the answer (e.g. who shared it).
    ``feedback_note`` replaces the buttons (after a click) with a short context line.
    """
    top: list[Block] = [context([header])] if header else []
    bottom: list[Block] = []
    if feedback_note:
        bottom.append(context([feedback_note]))
    elif key:
        bottom.append(feedback_actions(key, share=share))

    label = "Sources:" if answer.answered else "Nearest sources:"
    chunks = split_text(answer.text.strip() or "(empty answer)")
    room = max(1, max_blocks - len(top) - len(bottom) - (1 if answer.citations else 0))
    sections = [section(escape(c)) for c in chunks[:room]]
    if len(chunks) > room:  # only for answers far beyond anything readable in Slack
        last = split_text(chunks[room - 1], SECTION_LIMIT - len(_CUT))[0]
        sections[-1] = section(escape(last) + _CUT)
    source_budget = max_blocks - len(top) - len(bottom) - len(sections)
    sources = _source_blocks(label, answer.citations, source_budget, max_sources)
    return Message(text=plain_text(answer), blocks=top + sections + sources + bottom)


def simple(text: str) -> Message:
    """A one-section message (placeholder, apology, notices)."""
    chunks = split_text(text) or [" "]
    return Message(
        text=_truncate(escape(text), TEXT_LIMIT),
        blocks=[section(escape(c)) for c in chunks[:MAX_BLOCKS]],
    )


# --------------------------------------------------------------------------- help and home

EXAMPLE_QUESTIONS: tuple[str, ...] = (
    "When did Phase 1 of the REMIX project end?",
    "How many EU regions participated in REMIX?",
    "What was established thanks to the cooperation between REMIX and MIREU?",
    "Which regions lead the Mining industry smart specialisation partnership?",
    "In which Finnish town was the REMIX kick-off meeting held in April 2017?",
)

KNOWLEDGE = (
    "I answer questions from the project documents of *REMIX* (Interreg Europe, smart and green "
    "mining regions), *MIREU* (Horizon 2020 mining and metallurgy regions of the EU) and the "
    "*S3 Mining industry partnership* — reports, action plans, agendas, news and monitoring "
    "documents. Every answer cites its sources; when the documents do not say, I tell you so."
)


def help_message(usage_lines: Sequence[str]) -> Message:
    """`/remix help`: what the bot knows and how to use every registered subcommand."""
    usage = "\n".join(f"• `{u}`" for u in usage_lines)
    examples = "\n".join(f"• {escape(q)}" for q in EXAMPLE_QUESTIONS[:3])
    body = (
        f"{KNOWLEDGE}\n\n*Usage*\n{usage}\n"
        "• Mention me in a channel (`@Remix Assistant question`) or send me a direct message; "
        "I answer in the thread, and follow-ups in that thread need no mention.\n"
        "• Answers, events and drafts use only the documents everyone in the conversation may "
        "see (in a DM: the documents you may see).\n"
        "• Admins add a document by sending it to me as a file in a DM.\n\n"
        f"*Examples*\n{examples}"
    )
    text = "Remix Assistant help: " + "; ".join(usage_lines)
    return Message(text=text, blocks=[section(b) for b in split_text(body)])


def home_view() -> dict[str, Any]:
    """App Home tab for newcomers: what the assistant knows, how to ask, example questions."""
    examples = "\n".join(f"• {escape(q)}" for q in EXAMPLE_QUESTIONS)
    return {
        "type": "home",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Remix Assistant", "emoji": True}},
            section(KNOWLEDGE),
            {"type": "divider"},
            section(
                "*How to ask*\n"
                "• Send me a direct message in the *Messages* tab.\n"
                "• Mention me in a channel: `@Remix Assistant your question`. I reply in the "
                "thread; ask follow-ups there without mentioning me again.\n"
                "• Use `/remix your question` for a private answer you can share to the channel.\n"
                "• `/remix events 2020-01 2020-06` lists events with dates, places and sources.\n"
                "• `/remix draft past-events 2020-01..2020-06` drafts a report section in a "
                "thread, with a Word file (`/remix draft list` shows the sections).\n"
                "• Admins: send me a document in this DM to add it to the project documents.\n"
                "• `/remix help` shows all commands.\n"
                "• Rate answers with 👍 / 👎 — the team uses your feedback to improve me.\n"
                "• I use only the documents everyone in the conversation may see, so the same "
                "question can get different answers in different places."
            ),
            section(f"*Try asking*\n{examples}"),
        ],
    }
