"""The BM25 tokenizer (scoring: bm25.py), which keeps short exact tokens findable.

Codes like `SE331`, `FI1D7`, dates like `12-13.2.2020` and acronyms like `ICE` must match
exactly, so tokens are kept from one character up for alphanumerics with a digit, accents are
folded ("León" == "Leon") and English stemming is applied only to purely alphabetic words.
"""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from types import ModuleType

import Stemmer


def _bm25s_stopwords() -> ModuleType:
    """bm25s's stop-word lists, read from its `stopwords` module alone: importing the package
    would load scipy (about 0.3 s of every cold `ask`) for four lists of words."""
    package = importlib.util.find_spec("bm25s")
    if package is None or not package.submodule_search_locations:
        raise ImportError("bm25s is not installed: pip install -e .")
    spec = importlib.util.spec_from_file_location(
        "_bm25s_stopwords", Path(package.submodule_search_locations[0]) / "stopwords.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_LISTS = _bm25s_stopwords()
STOPWORDS_EN: tuple[str, ...] = tuple(_LISTS.STOPWORDS_EN)
STOPWORDS_GERMAN: tuple[str, ...] = tuple(_LISTS.STOPWORDS_GERMAN)
STOPWORDS_SPANISH: tuple[str, ...] = tuple(_LISTS.STOPWORDS_SPANISH)
STOPWORDS_FRENCH: tuple[str, ...] = tuple(_LISTS.STOPWORDS_FRENCH)

_WORD = re.compile(r"\w+", re.UNICODE)
_STOPWORDS = frozenset(STOPWORDS_EN) | frozenset(STOPWORDS_GERMAN) | frozenset(STOPWORDS_SPANISH)
_STOPWORDS |= frozenset(STOPWORDS_FRENCH) - {"s"}
# Words that frame a question rather than name its subject: the answer to "in which year"
# contains "2009", not "year". Dropped from queries only (documents keep them).
_QUESTION_WORDS = frozenset(
    "what which who whom whose when where why how many much does did do is are was were "
    "according kind kinds type types name names year years month decade date day period time "
    "city town place organisation organisations organization organizations person "
    "take took make made bring brought come came give gave hold held get got talk talked "
    "could would should can may might will shall also apart besides besid itself "
    "please tell describe explain list through about into within during among across via "
    "like such other others it its itself their theirs them they this that these those part "
    "cite cited cites mention mentioned mentions say says said quoted".split()
)
_stemmer = Stemmer.Stemmer("english")
_QUESTION_STEMS = frozenset(_stemmer.stemWords(sorted(_QUESTION_WORDS)))
# Irregular English verb forms the stemmer cannot join to their base ("led" -> "lead"):
# "It is led by Lapland" must match "Which regions lead …?".
_IRREGULAR = {
    form: base
    for base, forms in {
        "lead": "led", "hold": "held", "begin": "began begun", "take": "took taken",
        "make": "made", "write": "wrote written", "win": "won", "run": "ran", "meet": "met",
        "build": "built", "bring": "brought", "choose": "chose chosen", "speak": "spoke spoken",
        "give": "gave given", "grow": "grew grown", "rise": "rose risen", "sell": "sold",
        "pay": "paid", "find": "found", "fall": "fell fallen", "send": "sent", "spend": "spent",
        "see": "saw seen", "become": "became", "come": "came", "go": "went gone",
        "know": "knew known", "tell": "told", "think": "thought", "show": "shown",
        "buy": "bought", "drive": "drove driven", "keep": "kept", "leave": "left",
        "lose": "lost", "mean": "meant", "seek": "sought", "teach": "taught", "hear": "heard",
        "shut": "shut", "set": "set", "put": "put", "cut": "cut", "draw": "drew drawn",
    }.items()
    for form in forms.split()
}


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _strip_marks(match: re.Match[str]) -> str:
    return "".join(ch for ch in match.group() if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """Lower-case and strip accents: matching must ignore both. Only runs of non-ASCII
    characters are looked at one by one (most text is ASCII once decomposed)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    if decomposed.isascii():
        return decomposed
    return _NON_ASCII.sub(_strip_marks, decomposed)


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return _stemmer.stemWord(word)


def tokenize(text: str, *, query: bool = False) -> list[str]:
    """Tokens for BM25: folded, stop-words dropped, alphabetic words stemmed, codes kept whole.

    A query also drops the words that frame a question, in any inflection ("making", "held")."""
    return _tokens_of_folded(fold(text), query=query)


def _tokens_of_folded(folded: str, *, query: bool) -> list[str]:
    out: list[str] = []
    for word in _WORD.findall(folded):
        if word in _STOPWORDS or (query and word in _QUESTION_WORDS):
            continue
        if word.isalpha():
            if len(word) < 2:
                continue
            stem = _stem(_IRREGULAR.get(word, word))
            if not (query and stem in _QUESTION_STEMS):
                out.append(stem)
        else:
            out.append(word)
    return out


EMPTY_TOKEN = "_empty_"  # a chunk without a token still counts (length 1), as bm25s counts it


def document_tokens(text: str) -> list[str]:
    """The tokens a chunk is indexed under (never empty)."""
    return tokenize(text) or [EMPTY_TOKEN]


_SURFACE = re.compile(r"[^\W\d_]+")


def surface_words(text: str) -> list[str]:
    """The words of a text as written (folded, letters only, not stemmed, stop words kept):
    the spelling corrector's vocabulary, since a stem ("mining" -> "mine", "regions" ->
    "region") is no spelling to suggest."""
    return _SURFACE.findall(fold(text))


def document_terms(text: str) -> tuple[list[str], list[str]]:
    """`document_tokens(text)` and `surface_words(text)`, folding the text once (ingest
    indexes both for every chunk)."""
    folded = fold(text)
    return _tokens_of_folded(folded, query=False) or [EMPTY_TOKEN], _SURFACE.findall(folded)
