"""BM25 over chunks with bm25s, with a tokenizer that keeps short exact tokens findable.

Codes like `SE331`, `FI1D7`, dates like `12-13.2.2020` and acronyms like `ICE` must match
exactly, so tokens are kept from one character up for alphanumerics with a digit, accents are
folded ("León" == "Leon") and English stemming is applied only to purely alphabetic words.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import bm25s
import numpy as np
import Stemmer
from bm25s.tokenization import (
    STOPWORDS_EN,
    STOPWORDS_FRENCH,
    STOPWORDS_GERMAN,
    STOPWORDS_SPANISH,
)

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
    "like such other others it its itself their theirs them they this that these those part".split()
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


def fold(text: str) -> str:
    """Lower-case and strip accents: matching must ignore both."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return _stemmer.stemWord(word)


def tokenize(text: str, *, query: bool = False) -> list[str]:
    """Tokens for BM25: folded, stop-words dropped, alphabetic words stemmed, codes kept whole.

    A query also drops the words that frame a question, in any inflection ("making", "held")."""
    out: list[str] = []
    for word in _WORD.findall(fold(text)):
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


class LexicalIndex:
    """A BM25 index whose rows line up with the chunk store's rows."""

    def __init__(self, model: bm25s.BM25, vocab: dict[str, int], df: dict[str, int]) -> None:
        self._model = model
        self._vocab = vocab
        self._df = df
        self.num_docs = int(model.scores["num_docs"])

    @classmethod
    def build(cls, texts: Sequence[str]) -> "LexicalIndex":
        corpus_tokens = [tokenize(t) or ["_empty_"] for t in texts]
        vocab: dict[str, int] = {}
        ids = [[vocab.setdefault(tok, len(vocab)) for tok in toks] for toks in corpus_tokens]
        model = bm25s.BM25(k1=1.2, b=0.75)
        model.index(bm25s.tokenization.Tokenized(ids=ids, vocab=vocab), show_progress=False)
        df: dict[str, int] = {}
        for toks in corpus_tokens:
            for tok in set(toks):
                df[tok] = df.get(tok, 0) + 1
        return cls(model, vocab, df)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._model.save(str(directory), show_progress=False)
        payload = {"vocab": self._vocab, "df": self._df}
        (directory / "token_stats.json").write_text(json.dumps(payload), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> "LexicalIndex":
        model = bm25s.BM25.load(str(directory), show_progress=False, mmap=False)
        payload = json.loads((directory / "token_stats.json").read_text(encoding="utf-8"))
        return cls(model, payload["vocab"], payload["df"])

    def idf(self, token: str) -> float:
        """Smoothed inverse document frequency; unseen tokens get the highest weight."""
        return math.log(1.0 + (self.num_docs + 1) / (self._df.get(token, 0) + 0.5))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every row for the query (zeros when no query token is known)."""
        ids = [self._vocab[t] for t in tokenize(query, query=True) if t in self._vocab]
        if not ids:
            return np.zeros(self.num_docs, dtype=np.float32)
        return np.asarray(self._model.get_scores(ids), dtype=np.float32)
