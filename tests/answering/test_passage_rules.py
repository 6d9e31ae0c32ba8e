"""The answer step's rules about where an answer may come from: one passage must carry it, an
acronym's expansion answers "what does it stand for", and words about the source ("cited",
"mentioned") are not what the question is about."""

from __future__ import annotations

from assistant.answering.extractive import ExtractiveAnswerer
from assistant.models import Chunk, Hit
from assistant.retrieval.lexical import tokenize


def hit(text: str, *, doc: str, title: str = "Page") -> Hit:
    return Hit(Chunk(chunk_id=f"{doc}#0", doc_id=doc, title=title, text=text), score=1.0)


def flat_idf(token: str) -> float:
    return 1.0


KITTILA = hit("Unemployment in Kittilä currently stands below 10 %, considerably lower than the "
              "average rate for Lapland.", doc="kittila.txt", title="Kittilä mine")
SILESIA_FIGURES = hit("Lower Silesia covers 19 948 km2. Its share of the GDP of Poland was 8,4 % "
                      "in 2015.", doc="silesia.txt", title="Lower Silesia in figures")
QUESTION = "What was the unemployment rate in Lower Silesia in 2019?"
# Word weights as a corpus of regional pages gives them: "2019" and "lower" are common.
IDF = {"unemploy": 3.7, "rate": 4.0, "lower": 2.7, "silesia": 4.0, "2019": 1.8}


def idf(token: str) -> float:
    return IDF.get(token, 1.0)


def test_words_from_one_page_and_a_value_from_another_support_nothing() -> None:
    """Kittilä's page has "unemployment … lower … rate", Lower Silesia's page a percentage of
    something else: together they cover the question, neither answers it."""
    answer = ExtractiveAnswerer(idf=idf).answer(QUESTION, [KITTILA, SILESIA_FIGURES])
    assert not answer.answered


def test_one_page_that_holds_words_and_value_answers() -> None:
    there = hit("Unemployment in Lower Silesia fell to a rate of 5,1 % in 2019.",
                doc="silesia-labour.txt", title="Lower Silesia labour market")
    answer = ExtractiveAnswerer(idf=idf).answer(QUESTION, [KITTILA, SILESIA_FIGURES, there])
    assert answer.answered and "5,1 %" in answer.text.split("[")[0]


USES = hit("The main purpose of the mining industry S3 Partnership is to operationalise the "
           "work started in the REMIX and MIREU projects, and the new partnership is open to "
           "every mining region.", doc="news.txt", title="S3 Partnership news")
SPELLS = hit("By 2018 more than 120 Smart Specialisation Strategies for Research and Innovation "
             "(RIS3) were in place across Europe.", doc="sdg.txt", title="Thematic platforms")


def test_the_sentence_that_spells_an_acronym_out_answers_what_it_stands_for() -> None:
    """A sentence that uses "S3 partnership" shares every word of the question; the one that
    spells the strategies out under a longer acronym holding "S3" is the answer."""
    answer = ExtractiveAnswerer(idf=flat_idf).answer(
        "I'm new to the project: what does the 'S3' in 'S3 partnership' mean?", [USES, SPELLS])
    assert answer.answered
    assert answer.text.split("[")[0].strip().startswith("By 2018")


def test_an_acronym_nobody_spells_out_is_not_answered_by_a_sentence_using_it() -> None:
    answer = ExtractiveAnswerer(idf=flat_idf).answer(
        "I'm new to the project: what does the 'S3' in 'S3 partnership' mean?", [USES])
    assert not answer.answered


def test_words_about_the_source_are_not_searched_for() -> None:
    """"Which figure was cited in the report": documents state figures, they do not say they
    cite them; such words would only favour pages that talk about citing."""
    terms = tokenize("Which recycling figure was cited, mentioned or quoted in the report?",
                     query=True)
    assert "recycl" in terms and "report" in terms
    assert not {"cite", "mention", "quot", "quote"} & set(terms)
    assert "cite" in tokenize("The report cited a recycling figure.")  # documents keep them


MINING = hit("The S3 partnership on the Mining industry brings together nine regions. It is led "
             "by the regions of Lapland and North Karelia.", doc="mining.txt",
             title="Mining industry partnership")


def test_a_topic_title_in_sentence_case_names_the_subject() -> None:
    """"The partnership on Advanced materials for batteries" names another partnership than the
    one a page about the Mining industry partnership describes: its leaders are no answer."""
    answerer = ExtractiveAnswerer(idf=flat_idf)
    near_miss = answerer.answer(
        "Which region leads the S3 partnership on Advanced materials for batteries?", [MINING])
    assert not near_miss.answered
    same = answerer.answer("Which region leads the S3 partnership on the Mining industry?",
                           [MINING])
    assert same.answered and "Lapland" in same.text
