"""Misspelt question words corrected against the words the index holds.

"wich regons lead the minning partnershp" retrieves badly: BM25 ignores every token outside
its vocabulary and the embedder reads a typo as noise. Each word of the question that the
index has never seen is replaced by the closest word it has (symspellpy: edit distance 1, or
2 for long words; the most frequent wins a tie), and the user is shown what was searched for.

Correcting is only safe when it is rare, so a word is left alone when it is a word the
documents use, an English word (symspellpy's 82,765-word frequency list), a question or
function word of the languages questions come in, a number or code (SE331, FI1D7), an
acronym or a capitalised name inside a sentence (Pahtavaara is a mine the documents may
simply not mention), or written with letters outside a-z; and a question that does not read
as English ("Paljonko kultaa Kittilän kaivoksesta saadaan vuosittain?") is left whole.

The candidate words are the surface forms of the indexed text (the BM25 vocabulary holds
stems, which are no spelling). The index stores them per segment as inverted lists written at
ingest (see vocabulary.py): whether a word is known is a look-up per segment, so a question
without typos costs the same at any index size and never reads a chunk's text; the counts of
all words are summed on the first question with an unknown word. The correction itself is
symspellpy's, run over the few words within reach of the typo (rapidfuzz finds them in the
whole vocabulary in milliseconds) instead of a SymSpell index of every word, which would take
seconds to build for a large vocabulary: the suggestions are the same (tested against a
SymSpell of the whole vocabulary), since SymSpell only ever suggests words within the edit
distance, and the words are given to it in the same order, which decides its ties.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from functools import lru_cache
from importlib import resources
from typing import Callable, Iterable, Protocol

from rapidfuzz import process
from rapidfuzz.distance import OSA
from symspellpy import SymSpell, Verbosity

from .lexical import (STOPWORDS_EN, STOPWORDS_FRENCH, STOPWORDS_GERMAN, STOPWORDS_SPANISH,
                      surface_words)

# English question and function words: known, and also candidates ("wich" -> "which").
QUESTION_WORDS_EN = tuple(
    "which what who whom whose when where why how many much does did do is are was were has "
    "have had can could would should will shall may might must the and or not but with from "
    "about into there their they them this that these those than then also only each every "
    "year years people number name names please tell list give show explain describe".split()
)
# Words that start a question; preferred for a sentence-initial typo ("Hwo" -> "How").
_STARTERS = frozenset(
    "which what who whom whose when where why how is are was were does did do has have can "
    "could would should will".split()
)
# Question and function words of the other languages the questions come in: known, never
# candidates (a Finnish "mitä" must not become an English "with").
QUESTION_WORDS_OTHER = frozenset(
    # Finnish
    "mika mita mitka milloin missa mista mihin kuka ketka kenen kuinka paljonko montako "
    "miksi miten onko oliko ovat oli ja tai seka "
    # Swedish
    "vilket vilken vilka nar var vem vems hur varfor manga mycket och eller ar var som "
    # German (beyond bm25s's stop words)
    "wer wen wem wessen wann wo woher wohin wie wieviel wieviele welche welcher welches warum "
    # Spanish and Portuguese
    "que cual cuales cuando donde quien quienes cuanto cuanta cuantos cuantas porque como "
    "qual quais quando onde quem quanto quantos quantas por "
    # Polish
    "kto co kiedy gdzie jaki jaka jakie ile ktory ktora ktore dlaczego jak czy "
    # French and Italian
    "qui quoi quand ou comment combien quel quelle quels quelles pourquoi chi cosa dove "
    "come quanti quale quali perche".split()
)
_STOPWORDS = (frozenset(STOPWORDS_EN) | frozenset(STOPWORDS_GERMAN) | frozenset(STOPWORDS_SPANISH)
              | frozenset(STOPWORDS_FRENCH))
_ENGLISH_FUNCTION_WORDS = frozenset(STOPWORDS_EN) | frozenset(QUESTION_WORDS_EN)
_KNOWN_ALWAYS = frozenset(QUESTION_WORDS_EN) | QUESTION_WORDS_OTHER | _STOPWORDS

_TOKEN = re.compile(r"\w+")
_WORDS = re.compile(r"[^\W\d_]+")
_LOWER_ASCII = re.compile(r"[a-z]+")
_SENTENCE_START = re.compile(r"(^|[.?!:;(\"“‘'¿¡]\s*)$")
MIN_LENGTH = 3  # "hwo" is fixed; two-letter words are too ambiguous to guess
LONG_WORD = 8  # from this length on, two edits are allowed


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """symspellpy's English frequency list (82,765 words), read once per process."""
    path = resources.files("symspellpy") / "frequency_dictionary_en_82_765.txt"
    return frozenset(line.split(" ", 1)[0] for line in path.read_text("utf-8").splitlines())


@lru_cache(maxsize=1)
def starter_bigrams() -> dict[tuple[str, str], int]:
    """English counts of "<question starter> <word>" (symspellpy's bigram list), read once per
    process and only when a typo at the start of a question is as close to two starters."""
    path = resources.files("symspellpy") / "frequency_bigramdictionary_en_243_342.txt"
    pairs: dict[tuple[str, str], int] = {}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            first, _, rest = line.partition(" ")
            if first in _STARTERS:
                second, _, count = rest.partition(" ")
                pairs[first, second] = int(count)
    return pairs


def reads_as_english(text: str) -> bool:
    """English prose is about a quarter function and question words; a Finnish, Spanish or
    German question has almost none of the English ones. Questions of fewer than four words count as English
    ("waht is mireu")."""
    words = _WORDS.findall(text.lower())
    if len(words) < 4:
        return True
    return sum(w in _ENGLISH_FUNCTION_WORDS for w in words) / len(words) >= 0.1


class Vocabulary(Protocol):
    """The words a speller corrects towards: membership, and every word's count in the
    documents in order of first appearance (the order decides SymSpell's ties)."""

    def __contains__(self, word: object) -> bool: ...
    def counts(self) -> dict[str, int]: ...


class TextVocabulary:
    """The surface words of texts, read on first need (for texts not in an index)."""

    def __init__(self, texts: Callable[[], Iterable[str]]) -> None:
        self._texts = texts
        self._lock = threading.Lock()
        self._counts: Counter[str] | None = None

    def __contains__(self, word: object) -> bool:
        return word in self.counts()

    def counts(self) -> Counter[str]:
        with self._lock:
            if self._counts is None:
                counts: Counter[str] = Counter()
                for text in self._texts():
                    counts.update(surface_words(text))
                self._counts = counts
            return self._counts


class Speller:
    """Corrects the words of a question against a vocabulary (an index version's words, or
    texts given directly)."""

    def __init__(self, *, vocabulary: Vocabulary | None = None,
                 texts: Callable[[], Iterable[str]] | None = None) -> None:
        if (vocabulary is None) == (texts is None):
            raise ValueError("give a vocabulary or texts, not both")
        self._vocabulary = vocabulary if vocabulary is not None else TextVocabulary(texts)
        self._lock = threading.Lock()
        self._candidates: tuple[list[str], list[int], int] | None = None

    @classmethod
    def for_reader(cls, reader) -> "Speller":
        """The speller of one index version: the words of its chunks' text, titles and section
        paths, as its segments store them."""
        return cls(vocabulary=reader.vocabulary)

    def correct(self, text: str) -> str:
        """`text` with each unknown word replaced by its closest indexed word; unchanged when
        nothing needs correcting or the text is not English."""
        if not reads_as_english(text):
            return text
        out: list[str] = []
        last = 0
        tokens = list(_TOKEN.finditer(text))
        for i, match in enumerate(tokens):
            word = match.group()
            initial = bool(_SENTENCE_START.search(text[: match.start()]))
            following = tokens[i + 1].group().lower() if i + 1 < len(tokens) else ""
            fixed = self._fix(word, initial=initial, following=following)
            if fixed != word:
                out.append(text[last: match.start()])
                out.append(fixed)
                last = match.end()
        return "".join(out) + text[last:] if out else text

    def _fix(self, word: str, *, initial: bool, following: str) -> str:
        lower = word.lower()
        if len(word) < MIN_LENGTH or not _LOWER_ASCII.fullmatch(lower):
            return word  # digits (codes, years), accents and other scripts: not ours to fix
        if word != lower and not (initial and word[1:] == lower[1:]):
            return word  # an acronym, or a capitalised name inside a sentence
        if lower in _KNOWN_ALWAYS or lower in self._vocabulary or lower in english_words():
            return word
        best = self._closest(lower, initial=initial, following=following)
        if best is None:
            return word
        return best.capitalize() if word[0].isupper() else best

    def _closest(self, word: str, *, initial: bool, following: str) -> str | None:
        limit = 2 if len(word) >= LONG_WORD else 1
        suggestions = self._index_near(word, limit).lookup(word, Verbosity.CLOSEST,
                                                           max_edit_distance=limit)
        if not suggestions:
            return None
        if initial:  # "Wich regions ..." asks a question: "Which", not the commoner "With"
            starters = [s.term for s in suggestions if s.term in _STARTERS]
            if len(starters) > 1:  # "Hwo many": "How", the starter English puts before "many"
                pairs = starter_bigrams()
                return max(starters, key=lambda t: pairs.get((t, following), 0))
            if starters:
                return starters[0]
        return suggestions[0].term  # closest, then most frequent in the documents

    def _index_near(self, word: str, limit: int) -> SymSpell:
        """A SymSpell of the vocabulary words within `limit` edits of `word` (and the question
        words), entered as a SymSpell of the whole vocabulary would enter them: same order,
        same counts, the question words last with the top count added."""
        words, counts, top = self._candidate_words()
        near = process.extract(word, words, scorer=OSA.distance, score_cutoff=limit, limit=None)
        symspell = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
        for _, _, i in sorted(near, key=lambda found: found[2]):
            symspell.create_dictionary_entry(words[i], counts[i])
        for question_word in QUESTION_WORDS_EN:  # always there, and ahead of rarer words
            symspell.create_dictionary_entry(question_word, top)
        return symspell

    def _candidate_words(self) -> tuple[list[str], list[int], int]:
        """The words a correction may suggest, their counts, and the highest count of any
        word (read from the vocabulary once)."""
        counts = self._vocabulary.counts()
        with self._lock:
            if self._candidates is None:
                pairs = [(w, n) for w, n in counts.items()
                         if len(w) >= MIN_LENGTH and _LOWER_ASCII.fullmatch(w)]
                self._candidates = ([w for w, _ in pairs], [n for _, n in pairs],
                                    max(counts.values(), default=1))
            return self._candidates
