"""Meaning confirms a weakly worded answer: a paraphrase shares too few words with the
sentence that answers it for word coverage alone; the answer type and the embedder agreeing
on one sentence answer it (hedged), while either alone refuses. Uses the real multilingual
embedder (the point is meaning), and acronyms written with a count ("S3")."""

from __future__ import annotations


import numpy as np
import pytest

from assistant.answering.definitions import expands
from assistant.answering.extractive import HEDGE, ExtractiveAnswerer
from assistant.embedding import make_query_embedder
from assistant.models import Chunk, Hit

PASSAGE = (
    "Cornwall at present. In economic terms Cornwall still relies on its two main sectors, "
    "agriculture and fishing. Tourism is said to account for about 24 % of the Gross Domestic "
    "Product of Cornwall. Over the last five years, broadband has been rolled out across the "
    "county. The county council was founded in 1889.")
OTHER = ("Kainuu is a region in Finland with a long mining history. The Talvivaara mine opened "
         "in 2008 and employs several hundred people.")
QUESTION = "How big a slice of Cornwall's economy comes from visitors and holidaymakers?"


def hits() -> list[Hit]:
    return [Hit(Chunk(chunk_id="c#0", doc_id="cornwall.txt", title="Cornwall", text=PASSAGE),
                score=1.0, dense=0.9),
            Hit(Chunk(chunk_id="k#0", doc_id="kainuu.txt", title="Kainuu", text=OTHER),
                score=0.5, dense=0.6)]


def idf(token: str) -> float:
    return 2.0


@pytest.fixture(scope="module")
def e5(tmp_path_factory: pytest.TempPathFactory):
    return make_query_embedder("e5", cache_dir=tmp_path_factory.mktemp("e5-cache"))


def test_words_alone_refuse_the_paraphrase() -> None:
    answer = ExtractiveAnswerer(idf=idf).answer(QUESTION, hits())
    assert not answer.answered


def test_meaning_and_answer_type_together_answer_it(e5) -> None:
    answer = ExtractiveAnswerer(idf=idf, embedder=e5).answer(QUESTION, hits())
    assert answer.answered
    assert answer.text.replace(HEDGE, "").strip().startswith("Tourism is said to account")
    assert answer.signals["extractive.meaning_confirms"] == 1.0
    assert answer.confidence < 0.5  # support stays low: the calibrator hedges it


class Misleading:
    """An embedder that finds another sentence closest: then meaning does not confirm."""

    def __init__(self, real, closest: str) -> None:
        self.real, self.closest = real, closest

    def embed_documents(self, texts):
        vectors = np.asarray(self.real.embed_documents(texts))
        query = np.asarray(self.real.embed_query(QUESTION))
        return np.stack([query if t == self.closest else v for t, v in zip(texts, vectors)])

    def embed_query(self, text):
        return self.real.embed_query(text)


def test_meaning_pointing_elsewhere_refuses(e5) -> None:
    misleading = Misleading(e5, "The county council was founded in 1889.")
    answer = ExtractiveAnswerer(idf=idf, embedder=misleading).answer(QUESTION, hits())
    assert not answer.answered
    assert answer.signals["extractive.meaning_confirms"] == 0.0


class Agreeing:
    """An embedder that finds every sentence as close as the best one by words: only the
    other judge (the answer type) can then refuse."""

    def __init__(self, real) -> None:
        self.real = real

    def embed_documents(self, texts):
        query = np.asarray(self.real.embed_query(BEACH))
        return np.stack([query for _ in texts])

    def embed_query(self, text):
        return self.real.embed_query(text)


BEACH = "What is the name of the holidaymakers' favourite beach in Cornwall?"


def test_a_question_without_the_kind_of_value_is_not_confirmed(e5) -> None:
    answer = ExtractiveAnswerer(idf=idf, embedder=Agreeing(e5)).answer(BEACH, hits())
    assert not answer.answered


@pytest.mark.parametrize(("text", "acronym", "spelt"), [
    ("a good Smart Specialisation Strategy (RIS3) is expected", "S3", True),
    ("the Research and Innovation Strategies for Smart Specialisation (RIS3)", "RIS3", True),
    ("the World Wide Web Consortium (W3C) publishes standards", "W3C", True),
    ("the S3 partnership is led by Lapland", "S3", False),
    ("Smart Strategy for mining", "S3", False),
])
def test_an_acronym_with_a_count_spells_repeated_initials(text: str, acronym: str,
                                                          spelt: bool) -> None:
    assert expands(text, acronym) is spelt
