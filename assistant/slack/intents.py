"""What a chat message asks for, before anything is searched: help, a draft, events, or a question.

Pure text rules, no I/O, so every reply path (DMs, mentions, the AI-app pane) routes the same
way and the rules are unit-tested without Slack. A greeting ("hi", "hola", "moi", "?") gets the
help card: searching the documents for "hello" would only produce a confusing refusal.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from assistant.slack import agenda

IntentKind = Literal["help", "draft", "events", "question"]

# Whole-message greetings and requests for help, several languages, compared accent-folded and
# without punctuation ("Hello!" = "hello", "¿Ayuda?" = "ayuda", "Cześć" = "czesc").
GREETINGS: frozenset[str] = frozenset({
    # English
    "help", "help me", "hi", "hello", "hey", "hiya", "howdy", "yo", "greetings", "hi there",
    "hello there", "hey there", "good morning", "good afternoon", "good evening", "morning",
    "what can you do", "who are you", "how does this work", "how do i use this", "start",
    # Spanish, Portuguese, Italian, French
    "hola", "buenas", "buenos dias", "buenas tardes", "ayuda", "ola", "oi", "ciao", "salve",
    "aiuto", "bonjour", "salut", "aide",
    # Finnish, Swedish, Norwegian, Danish
    "moi", "moikka", "hei", "terve", "apua", "hej", "hallo", "tja", "god morgon", "hjalp",
    # German, Dutch, Polish, Czech
    "moin", "servus", "guten tag", "guten morgen", "hilfe", "hoi", "czesc", "dzien dobry",
    "pomoc", "ahoj", "dobry den",
})
_MARKS = re.compile(r"[^\w\s]+")
_DRAFT = re.compile(r"^\s*(?:please\s+)?(?:/remix\s+)?draft\b\s*(.*)$", re.IGNORECASE | re.DOTALL)
_EVENTS = re.compile(r"^\s*(?:/remix\s+)?events?\b\s*(.*)$", re.IGNORECASE | re.DOTALL)
_PERIOD = re.compile(r"^\d{4}(?:-\d{1,2}){1,2}\.\.\d{4}(?:-\d{1,2}){1,2}$")
_FILLER = frozenset({"a", "an", "the", "our", "my", "me", "section", "sections", "of", "for", "please",
                     "report", "part", "text"})


def fold(text: str) -> str:
    """Lower case, accents and punctuation removed, single spaces: "¡Hola!" -> "hola"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("ł", "l"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_MARKS.sub(" ", plain).split())


def is_greeting(text: str) -> bool:
    """A greeting or a plea for help and nothing else (a lone "?" counts; "hi, when did
    REMIX start?" is a question)."""
    stripped = text.strip()
    if stripped and not fold(stripped) and set(stripped) <= set("?¿!. "):
        return True  # "?", "??", "¿?"
    words = fold(stripped)
    return words in GREETINGS or (words.endswith(" bot") and words[:-4] in GREETINGS)


@dataclass(frozen=True, slots=True)
class Intent:
    kind: IntentKind
    args: str = ""  # draft: "SECTION [PERIOD]" in `/remix draft` syntax; events: "[FROM] [TO]"


def draft_args(rest: str, sections: Collection[str]) -> str:
    """Free text after "draft" -> `/remix draft` arguments: "the past events section for
    2020-01..2020-06" -> "past-events 2020-01..2020-06". Unknown words stay (the draft path
    answers them with the list of sections)."""
    words = rest.replace(",", " ").split()
    period = next((w for w in words if _PERIOD.match(w)), None)
    kept = [w.strip(".!?:;\"'`").lower() for w in words if w != period]
    name = "-".join(w for w in kept if w and w not in _FILLER)
    if name and name not in sections:
        # "past-events section of the report" already cleaned; try the longest known prefix too
        name = next((s for s in sorted(sections, key=len, reverse=True) if name.startswith(s)), name)
    return " ".join(p for p in (name, period) if p)


def classify(text: str, *, sections: Collection[str] = ()) -> Intent:
    """Route a chat message: greetings -> help; "draft …" -> a draft; "events [FROM] [TO]" with
    valid dates -> the event list; anything else is a question for the documents."""
    if not text.strip() or is_greeting(text):
        return Intent("help")
    draft = _DRAFT.match(text)
    if draft:
        return Intent("draft", draft_args(draft.group(1), sections))
    events = _EVENTS.match(text)
    if events:
        rest = events.group(1).strip()
        try:
            agenda.parse_range(rest)
        except ValueError:  # "events planned in the autumn" is a question, not a date range
            return Intent("question")
        return Intent("events", rest)
    return Intent("question")
