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

import bisect
import re
import unicodedata
from collections.abc import Iterable, Sequence
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


# Where a long text may be cut, coarse to fine: after a blank line, after a line, after a
# sentence's stop (the space goes with the next piece), after a space.
_BOUNDARIES: tuple[re.Pattern[str], ...] = (
    re.compile(r"\n\n"),
    re.compile(r"\n"),
    re.compile(r"[.!?;:](?=\s)"),
    re.compile(r"\s"),
)
# Spans a cut must not fall inside, or Slack shows broken markup: `code`, *bold*, _italic_,
# ~strike~ (Slack reads them in escaped text too), and in mrkdwn also <url|label> links and
# mentions, &amp; entities and ``` blocks.
_STYLED = r"`[^`\n]+`|\*[^*\n]+\*|_[^_\n]+_|~[^~\n]+~"
_PROTECTED_RAW = re.compile(_STYLED)
_PROTECTED_MRKDWN = re.compile(r"```.*?```|<[^<>\n]*>|&(?:[a-z]+|#\d+);|" + _STYLED, re.DOTALL)
_FENCE = "```"
ZWJ = "\u200d"


def utf16_len(text: str) -> int:
    """Length as Slack may count it (UTF-16 code units): never less than len()."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _joins_previous(text: str, i: int) -> bool:
    """Whether text[i] belongs to the same visible character as text[i-1] (combining mark,
    emoji modifier or variation selector, either side of a zero-width joiner, CR LF, the
    second regional indicator of a flag, a tag of a subdivision flag)."""
    ch, prev = text[i], text[i - 1]
    if ch == ZWJ or prev == ZWJ or (prev == "\r" and ch == "\n"):
        return True
    code = ord(ch)
    if 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F:
        return True
    if unicodedata.category(ch) in ("Mn", "Mc", "Me"):
        return True
    if 0x1F1E6 <= code <= 0x1F1FF:  # regional indicators pair up: cut only between pairs
        run = 0
        while i - 1 - run >= 0 and 0x1F1E6 <= ord(text[i - 1 - run]) <= 0x1F1FF:
            run += 1
        return run % 2 == 1
    return False


def _forbidden_cuts(text: str, limit: int, escaped: bool) -> bytearray:
    """forbidden[i] == 1: a cut before text[i] would break a character or a markup span."""
    forbidden = bytearray(len(text) + 1)
    for i in range(1, len(text)):
        if _joins_previous(text, i):
            forbidden[i] = 1
    pattern = _PROTECTED_MRKDWN if escaped else _PROTECTED_RAW
    for m in pattern.finditer(text):
        if m.end() - m.start() <= limit // 2:  # longer spans cannot be kept whole anyway
            forbidden[m.start() + 1 : m.end()] = b"\x01" * (m.end() - m.start() - 1)
    return forbidden


def split_exact(text: str, limit: int = SECTION_LIMIT, *, escaped: bool = False) -> list[str]:
    """Cut ``text`` into pieces that concatenate back to it exactly, each measuring <= limit
    (UTF-16 units, after escaping unless ``escaped``), preferring paragraph, then line, then
    sentence, then word boundaries, and never inside a character or a markup span."""
    if not text:
        return []
    cost = [0]
    for ch in text:
        shown = ch if escaped else escape(ch)
        cost.append(cost[-1] + utf16_len(shown))
    if cost[-1] <= limit:
        return [text]
    forbidden = _forbidden_cuts(text, limit, escaped)
    pieces: list[str] = []
    start = 0
    while cost[-1] - cost[start] > limit:
        hi = bisect.bisect_right(cost, cost[start] + limit) - 1  # text[start:hi] fits
        cut = _best_cut(text, start, hi, forbidden)
        pieces.append(text[start:cut])
        start = cut
    pieces.append(text[start:])
    return pieces


def _best_cut(text: str, start: int, hi: int, forbidden: bytearray) -> int:
    """The cut in (start, hi]: the coarsest boundary filling at least half the piece, else
    any boundary, else the last position breaking nothing, else the last whole character."""
    window = text[start:hi]
    for min_fill in ((hi - start) // 2, 1):
        for pattern in _BOUNDARIES:
            ends = [start + m.end() for m in pattern.finditer(window)]
            ok = [e for e in ends if start + min_fill <= e <= hi and not forbidden[e]]
            if ok:
                return ok[-1]
    for e in range(hi, start, -1):
        if not forbidden[e]:
            return e
    for e in range(hi, start, -1):
        if not _joins_previous(text, e) if e < len(text) else True:
            return e
    return max(hi, start + 1)


def _close_fences(pieces: list[str]) -> list[str]:
    """A ``` block cut in two is closed at the end of one piece and reopened in the next."""
    out: list[str] = []
    carry = False
    for piece in pieces:
        if carry:
            piece = _FENCE + "\n" + piece
        carry = piece.count(_FENCE) % 2 == 1
        out.append(piece + "\n" + _FENCE if carry else piece)
    return out


def split_text(text: str, limit: int = SECTION_LIMIT, *, escaped: bool = False) -> list[str]:
    """Split raw answer text into chunks whose *escaped* length is <= ``limit``.

    Pieces are packed greedily, so a 3500-char answer becomes two sections, not twenty.
    Leading/trailing whitespace of each chunk is stripped (Slack would drop it anyway).
    ``escaped=True`` for text that is already mrkdwn (measured as is; a ``` block too long
    for one section is closed and reopened around the cut).
    """
    fences = escaped and _FENCE in text
    pieces = split_exact(text, limit - 2 * (len(_FENCE) + 1) if fences else limit,
                         escaped=escaped)
    if fences:
        pieces = _close_fences(pieces)
    return [c.strip() for c in pieces if c.strip()]


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
    top: list[Block] = [context([line]) for line in (header, answer.searched_for and
                        f"Searched for: {escape(answer.searched_for)}") if line]
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


ANSWER_MESSAGE_CHARS = 36_000  # answer text per message: the 40,000 limit, less the sources
SOURCE_BLOCKS = 2  # context blocks for the sources under a long answer (20 sources)


def answer_messages(
    answer: Answer,
    *,
    key: str | None,
    max_sources: int = DEFAULT_MAX_SOURCES,
    max_blocks: int = MAX_BLOCKS,
    message_chars: int = ANSWER_MESSAGE_CHARS,
) -> list[Message]:
    """The answer as thread messages: one, as ``render_answer`` makes it, when it fits; else
    the text continues over several messages (none cut, none over a limit) and the last one
    carries the sources and the feedback buttons."""
    chunks = split_text(answer.text.strip() or "(empty answer)")
    tail_blocks = (1 if key else 0) + (min(SOURCE_BLOCKS, len(answer.citations)) if answer.citations else 0)
    single = (len(chunks) + tail_blocks <= max_blocks
              and sum(len(escape(c)) for c in chunks) <= message_chars)
    if single:
        return [render_answer(answer, key=key, max_sources=max_sources, max_blocks=max_blocks)]
    groups: list[list[str]] = [[]]
    for chunk in chunks:
        group = groups[-1]
        if group and (len(group) >= max_blocks
                      or sum(len(escape(c)) for c in group) + len(escape(chunk)) > message_chars):
            groups.append([chunk])
        else:
            group.append(chunk)
    if len(groups[-1]) + tail_blocks > max_blocks:
        groups.append([])
    messages = [Message(text=escape("\n\n".join(g)), blocks=[section(escape(c)) for c in g])
                for g in groups[:-1]]
    last = groups[-1]
    bottom = [feedback_actions(key)] if key else []
    label = "Sources:" if answer.answered else "Nearest sources:"
    budget = max_blocks - len(last) - len(bottom)
    sources = _source_blocks(label, answer.citations, min(budget, SOURCE_BLOCKS), max_sources)
    body = escape("\n\n".join(last)) if last else ""
    text = plain_text(Answer(question=answer.question, text="", answered=answer.answered,
                             citations=answer.citations), limit=TEXT_LIMIT - len(body) - 1)
    messages.append(Message(text=(body + "\n" + text.strip()).strip() or escape(label),
                            blocks=[section(escape(c)) for c in last] + sources + bottom))
    return messages


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
                "• `/remix regions`, `/remix glossary CoMMER` and `/remix sources` list the "
                "regions, the acronyms and the documents I know.\n"
                "• Open me in the *Agents & AI Apps* pane for a private conversation beside any "
                "channel; \"Draft the past-events section\" works there too.\n"
                "• Admins: send me a document in this DM to add it to the project documents.\n"
                "• `/remix help` shows all commands.\n"
                "• Rate answers with 👍 / 👎 — the team uses your feedback to improve me.\n"
                "• I use only the documents everyone in the conversation may see, so the same "
                "question can get different answers in different places."
            ),
            section(f"*Try asking*\n{examples}"),
        ],
    }


# --------------------------------------------------------------------------- AI-app pane


def pane_greeting(prompts: Sequence[str] = ()) -> Message:
    """First message of an assistant thread: what the assistant is and how to start."""
    body = (
        "Hi! I answer questions from the *REMIX*, *MIREU* and *S3 Mining industry partnership* "
        "documents, and every answer cites its sources. Ask me anything, pick a suggestion"
        + (" below" if prompts else "")
        + ", or say *help* to see everything I can do (drafting report sections, events, regions)."
        "\nOnly you see this conversation: I answer from the documents you may see."
    )
    return Message(text="Hi! Ask me about the REMIX, MIREU and S3 Mining partnership documents.",
                   blocks=[section(body)])
