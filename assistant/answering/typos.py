"""Misspelt question words read as the word the retrieved passages use ("peple" -> "people",
"exibitors" -> "exhibitors", "waht" -> "what").

Retrieval survives a typo (the other words and the dense vector still find the page), but the
answerer weighs every question word by its rarity, and a misspelt word is the rarest of all:
it appears nowhere, so no sentence can cover it and a right answer is refused. Only a word the
whole corpus lacks is corrected, and only to a word of the retrieved passages (or a question
word) one or two edits away, so a rare real name is never "corrected" into another.
"""

from __future__ import annotations

import re
from typing import Callable, Collection

from symspellpy.editdistance import DistanceAlgorithm, EditDistance

from ..retrieval.lexical import fold

MIN_LENGTH = 4  # shorter words are too often real and one edit from many others
_QUESTION_WORDS = ("what", "when", "where", "which", "who", "whom", "whose", "how", "many",
                   "much", "does", "did", "do", "is", "are", "was", "were", "have", "has")
_WORD = re.compile(r"[^\W\d_]+")


def max_edits(word: str) -> int:
    """One edit for short words, two for long ones (transpositions count as one)."""
    return 1 if len(word) <= 6 else 2


def correct(question: str, vocabulary: Collection[str], *,
            known: Callable[[str], bool]) -> str:
    """`question` with each unknown word replaced by its nearest word in `vocabulary` (folded
    words of the retrieved passages); `known(word)` says whether the corpus has the word."""
    choices = set(vocabulary) | set(_QUESTION_WORDS)
    distance = EditDistance(DistanceAlgorithm.DAMERAU_OSA)

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        folded = fold(word)
        if len(folded) < MIN_LENGTH or folded in choices or known(folded):
            return word
        limit = max_edits(folded)
        # The first letter is rarely mistyped; it also keeps the comparisons few.
        near = sorted(c for c in choices
                      if c[:1] == folded[:1] and abs(len(c) - len(folded)) <= limit)
        scored = [(d, c) for c in near if 0 <= (d := distance.compare(folded, c, limit)) <= limit]
        return min(scored)[1] if scored else word

    return _WORD.sub(fix, question)
