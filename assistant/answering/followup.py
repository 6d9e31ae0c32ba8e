"""Short follow-ups in a conversation ("and when was that?") read with the previous question.

Two kinds are told apart. An elliptical follow-up that only names a new subject ("and
Kankberg?", "what about Lapland?") asks the previous question again about that subject: it is
rewritten into that question with the new name in place of the previous one ("How deep is the
Kankberg mine?"), because appending the old question would bring its old subject back and the
old subject's answer would win. Any other follow-up that cannot stand on its own keeps its own
words first (its question word decides the expected answer type) and gets the previous question
appended in parentheses as context.
"""

from __future__ import annotations

import re
from typing import Sequence

_ANAPHORA = re.compile(
    r"\b(that|it|this|they|them|there|those|these|he|she|his|her|its|their|then|the same)\b", re.I
)
_FOLLOW_UP_START = re.compile(r"^\s*(and|also|what about|how about|but|so)\b", re.I)
# "and Kankberg?", "what about Lapland?", "how about the Kittilä mine?": a new subject only.
_ELLIPSIS = re.compile(
    r"^\s*(?:and|and what about|and how about|what about|how about|same for|and for)\s+"
    r"(?:(?:the|in|for|of|at)\s+)?(?P<subject>[^?]+?)\s*\??\s*$", re.I)
_QUESTION_WORD = re.compile(
    r"\b(what|when|where|which|who|whom|whose|why|how|is|are|was|were|did|does|do)\b", re.I)
# A name in the previous question: capitalised words, not the question's first word.
_NAME = re.compile(r"(?<!^)\b[A-ZÀ-ÖØ-Þ][\w’'-]*(?:\s+(?:(?:de|del|of|y)\s+)?[A-ZÀ-ÖØ-Þ][\w’'-]*)*")
_MAX_SUBJECT_WORDS = 5


def contextualise(question: str, history: Sequence[str]) -> str:
    """The question, made to stand on its own with the previous one when it cannot.

    The follow-up comes first so that its own question word decides the expected answer type."""
    if not history:
        return question
    rewritten = _substituted(question, history[-1])
    if rewritten is not None:
        return rewritten
    words = re.findall(r"\w+", question)
    referring = bool(_ANAPHORA.search(question) or _FOLLOW_UP_START.match(question))
    if len(words) <= 5 or (referring and len(words) <= 12):
        return f"{question} ({history[-1]})"
    return question


def _substituted(question: str, previous: str) -> str | None:
    """The previous question about the follow-up's new subject, when the follow-up is only a
    new subject ("and Kankberg?") and the previous question names one to replace; else None.

    The last name of the previous question is replaced: the subject usually comes after the
    thing asked ("the NUTS code of Sterea Ellada", "the depth of the Renström mine")."""
    match = _ELLIPSIS.match(question)
    if not match:
        return None
    subject = match.group("subject").strip()
    if (len(subject.split()) > _MAX_SUBJECT_WORDS or _QUESTION_WORD.search(subject)
            or _ANAPHORA.search(subject)):
        return None
    names = [m for m in _NAME.finditer(previous.strip())
             if not m.group(0).isupper() or len(m.group(0)) > 5]  # NUTS, EU: not subjects
    if not names:
        return None
    last = names[-1]
    return previous[: last.start()] + subject + previous[last.end():]
