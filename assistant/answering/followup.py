"""Short follow-ups in a conversation ("and when was that?") read with the previous question."""

from __future__ import annotations

import re
from typing import Sequence

_ANAPHORA = re.compile(
    r"\b(that|it|this|they|them|there|those|these|he|she|his|her|its|their|then|the same)\b", re.I
)
_FOLLOW_UP_START = re.compile(r"^\s*(and|also|what about|how about|but|so)\b", re.I)


def contextualise(question: str, history: Sequence[str]) -> str:
    """The question, extended with the previous one when it cannot stand on its own.

    The follow-up comes first so that its own question word decides the expected answer type."""
    if not history:
        return question
    words = re.findall(r"\w+", question)
    referring = bool(_ANAPHORA.search(question) or _FOLLOW_UP_START.match(question))
    if len(words) <= 5 or (referring and len(words) <= 12):
        return f"{question} ({history[-1]})"
    return question
