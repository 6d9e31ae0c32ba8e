"""The answer step's general rules on small hand-made passages: definitions and expansions,
form prompts and captions, quantities with units, questions in other languages, quotes from
pages in another language, misspelt words, names as whole phrases, clean sentence cuts."""

from __future__ import annotations

import pytest

from assistant.answering.definitions import asked_definition, asked_expansion, expands, is_prompt
from assistant.answering.extractive import HEDGE, ExtractiveAnswerer
from assistant.answering.question import answer_types_of, types_in
from assistant.embedding import HashingEmbedder
from assistant.ingest.sentences import sentence_spans
from assistant.models import Chunk, Hit


def hit(text: str, *, doc: str = "a.txt", title: str = "Doc", n: int = 0) -> Hit:
    return Hit(Chunk(chunk_id=f"{doc}#{n}", doc_id=doc, title=title, text=text), score=1.0)


def flat_idf(token: str) -> float:
    return 1.0


def body(text: str) -> str:
    return text.replace(HEDGE, "").strip()


@pytest.mark.parametrize(("question", "expected"), [
    ("Vilket år etablerades Bolidenområdet?", {"date"}),
    ("Milloin hanke päättyi?", {"date"}),
    ("Paljonko kultaa kaivoksesta saadaan vuosittain?", {"count"}),
    ("¿Cuántos proyectos seleccionó la Comisión?", {"count"}),
    ("Kto przedstawiał prezentację?", {"name"}),
    ("Wer moderierte die erste Diskussionsrunde?", {"name"}),
    ("Ποια εταιρεία ήταν η μόνη;", {"name"}),
    ("Que percentagem dos royalties podem deduzir?", {"amount"}),
    ("How long is the Iberian Pyrite Belt?", {"measure"}),
    ("How deep is the Renström mine?", {"measure"}),
])
def test_question_words_of_other_languages_and_quantities(question: str, expected: set) -> None:
    assert answer_types_of(question) == expected


def test_a_quantity_needs_its_unit() -> None:
    assert "measure" in types_in("The belt runs for some 250 km into Portugal.")
    assert "measure" in types_in("Projects run for 3 to 5 years.")
    assert "measure" not in types_in("The belt was mapped in 2019 by 12 geologists.")


def test_how_long_is_answered_by_the_quantity_not_by_a_year() -> None:
    answerer = ExtractiveAnswerer(idf=flat_idf)
    answer = answerer.answer("How long is the Iberian Pyrite Belt?", [hit(
        "The Iberian Pyrite Belt was first mapped in 1850 by Spanish geologists. "
        "The Iberian Pyrite Belt runs for some 250 km from Seville into Portugal.")])
    assert answer.answered and body(answer.text).startswith("The Iberian Pyrite Belt runs")


def test_expansion_questions_quote_the_expansion_and_refuse_without_one() -> None:
    assert asked_expansion("In 'EIP on Raw Materials', what does EIP stand for?") == "EIP"
    assert asked_expansion("What is ERMA short for?") == "ERMA"
    assert expands("the European Innovation Partnership on Raw Materials", "EIP")
    assert expands("the Council of Mining and Metallurgy Regions (CoMMER)", "CoMMER")
    assert not expands("Name (Country abbreviation), NUTS code", "NUTS")
    uses = hit("The EIP on raw materials has as its overall objective to raise industry's "
               "share of GDP to 20 %.", doc="uses.txt")
    spelled = hit("In 2012 the Commission launched the European Innovation Partnership (EIP) "
                  "on Raw Materials.", doc="spelled.txt")
    answerer = ExtractiveAnswerer(idf=flat_idf)
    answer = answerer.answer("What does EIP stand for?", [uses, spelled])
    assert answer.answered and "European Innovation Partnership" in body(answer.text).split("[")[0]
    assert not answerer.answer("What does EIP stand for?", [uses]).answered


def test_what_is_x_quotes_the_defining_sentence_first() -> None:
    assert asked_definition("New here: what is MIREU, in a sentence or two?") == "MIREU"
    assert asked_definition("What is the aim of MIREU?") is None
    answerer = ExtractiveAnswerer(idf=flat_idf)
    answer = answerer.answer("New here: what is MIREU, in a sentence or two?", [hit(
        "Through MIREU, regions from all over Europe will join forces in two new networks. "
        "MIREU is an EU project that sets up a network of mining and metallurgy regions.")])
    assert answer.answered and body(answer.text).startswith("MIREU is an EU project")


def test_form_prompts_and_captions_are_context_not_answers() -> None:
    assert is_prompt("Involvement of regions from EU13 Member States in the Partnership. "
                     "In addition, justification should be provided if none are involved")
    assert is_prompt("Bild: Gruppenaufnahme des REMIX Teams in Kemi. Foto: Regional Council")
    assert not is_prompt("Please provide the list of leading regions: North Karelia and Lapland")
    answerer = ExtractiveAnswerer(idf=flat_idf)
    answer = answerer.answer(
        "Which regions from EU13 Member States take part in the Mining partnership?",
        [hit("Involvement of regions from EU13 Member States in the Mining partnership, in "
             "particular with respect to scoping. Justification should be provided if no EU13 "
             "regions take part.")])
    assert not answer.answered


def test_a_name_counts_only_whole() -> None:
    """"Lower" in a page about Kittilä does not make it a page about Lower Silesia."""
    answerer = ExtractiveAnswerer(idf=flat_idf)
    question = "What was the unemployment rate in Lower Silesia in 2019?"
    elsewhere = hit("Unemployment in Kittilä stood at 9 % in 2019, lower than the average rate "
                    "for the region.", doc="kittila.txt")
    assert not answerer.answer(question, [elsewhere]).answered
    there = hit("Unemployment in Lower Silesia stood at 5 % in 2019.", doc="silesia.txt")
    answer = answerer.answer(question, [elsewhere, there])
    assert answer.answered and "Unemployment in Lower Silesia stood at 5 %" in answer.text


FINNISH = ("REMIX-hankkeen ensimmäinen vaihe päättyi kesäkuussa 2019, ja toinen vaihe keskittyy "
           "tulosten seurantaan alueilla. Hankkeessa on mukana yhdeksän kumppania eri maista.")


def test_a_quote_in_another_language_says_so() -> None:
    answerer = ExtractiveAnswerer(idf=flat_idf, embedder=HashingEmbedder(dim=64))
    answer = answerer.answer("When did the first phase of the REMIX project end?",
                             [hit(FINNISH, doc="fi.txt")])
    assert answer.answered and "(in Finnish)" in answer.text
    assert answer.citations[0].language == "fi"
    assert answer.signals["extractive.foreign"] == 1.0


def test_a_quote_in_the_questions_language_has_no_label() -> None:
    answerer = ExtractiveAnswerer(idf=flat_idf)
    answer = answerer.answer("Milloin REMIX-hankkeen ensimmäinen vaihe päättyi?",
                             [hit(FINNISH, doc="fi.txt")])
    assert answer.answered and "(in " not in answer.text
    assert answer.citations[0].language is None


@pytest.mark.parametrize(("text", "sentences"), [
    ("The Platform on Industrial [...] Modernisation starts. Next one.",
     ["The Platform on Industrial [...] Modernisation starts.", "Next one."]),
    ("Die Kosten bzw. Preise steigen. Gut.", ["Die Kosten bzw. Preise steigen.", "Gut."]),
    ("It costs approx. 5 EUR, i.e. little. Fine.", ["It costs approx. 5 EUR, i.e. little.", "Fine."]),
])
def test_excerpt_markers_and_abbreviations_do_not_cut_a_sentence(text: str,
                                                                  sentences: list[str]) -> None:
    assert [text[a:b] for a, b in sentence_spans(text)] == sentences
