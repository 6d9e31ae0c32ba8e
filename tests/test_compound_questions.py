"""Two questions in one: split where a new question clearly starts, each part answered on its
own, one merged answer with renumbered citations."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpora import hash_assistant

from assistant.answering.compound import merge_answers, split_question
from assistant.models import NOT_FOUND, Answer, Citation


@pytest.mark.parametrize("question, parts", [
    ("Which period does the strategy cover, and which province leads the exports?",
     ["Which period does the strategy cover?", "which province leads the exports?"]),
    ("In which decade did Boliden start mining in the field, and which of its mines yields tellurium?",
     ["In which decade did Boliden start mining in the field?", "which of its mines yields tellurium?"]),
    ("The keynote speaker of the final event holds which position, and how much funding did the call offer?",
     ["The keynote speaker of the final event holds which position?",
      "how much funding did the call offer?"]),
])
def test_compound_questions_are_split(question, parts):
    assert split_question(question) == parts


@pytest.mark.parametrize("question", [
    "At which event, and in which city, was the partnership launched?",  # one shared verb
    "In which month of 2019 and at which foundation's premises did the matchmaking take place?",
    "What are the aims and objectives of the partnership?",
    "Which regions lead and participate in the partnership?",
    "Tell me about the REMIX project and which regions took part in it?",
])
def test_single_questions_with_and_stay_whole(question):
    assert split_question(question) == [question]


def _answer(text: str, *quotes: tuple[str, str], answered: bool = True) -> Answer:
    cites = [Citation(n=i + 1, doc_id=doc, title=doc, quote=q) for i, (doc, q) in enumerate(quotes)]
    return Answer(question="q", text=text, answered=answered, citations=cites, confidence=0.9)


def test_merge_renumbers_citations_and_does_not_repeat_a_statement():
    first = _answer("The strategy covers 2021-27. [1]", ("a.txt", "covers 2021-27"))
    second = _answer("The strategy covers 2021-27. [1] Huelva leads the exports. [2]",
                     ("a.txt", "covers 2021-27"), ("b.txt", "Huelva leads"))
    merged = merge_answers("q1 and q2", ["q1?", "q2?"], [first, second])
    assert merged.answered
    assert merged.text == "The strategy covers 2021-27. [1]\nHuelva leads the exports. [2]"
    assert [(c.n, c.doc_id) for c in merged.citations] == [(1, "a.txt"), (2, "b.txt")]


def test_merge_says_which_part_was_not_found_and_refuses_only_when_none_was():
    found = _answer("Huelva leads the exports. [1]", ("b.txt", "Huelva leads"))
    missing = _answer(NOT_FOUND, ("c.txt", "nearest"), answered=False)
    merged = merge_answers("q", ["Which period?", "Which province?"], [missing, found])
    assert merged.answered and "Not found in the documents: “Which period?”" in merged.text
    assert [c.doc_id for c in merged.citations] == ["b.txt"]
    refused = merge_answers("q", ["a?", "b?"], [missing, missing])
    assert not refused.answered and refused.text == NOT_FOUND


def test_each_part_is_answered_from_its_own_document(tmp_path: Path):
    assistant = hash_assistant(tmp_path, {
        "strategy.txt": "Title: Andalusia mining strategy\n\nThe new Andalusia mining strategy "
                        "covers the period 2021-27 and supports the whole mining value chain.\n",
        "exports.txt": "Title: Andalusian exports\n\nHuelva leads the Andalusian provinces in "
                       "exports, with one of every three euros sold abroad.\n",
        "bees.txt": "Title: Bees\n\nHoney bees live in colonies.\n",
    })
    answer = assistant.ask("Which period does the Andalusia mining strategy cover, and which "
                           "Andalusian province leads in exports?")
    assert answer.answered and "2021-27" in answer.text and "Huelva" in answer.text
    assert {c.doc_id for c in answer.citations} == {"strategy.txt", "exports.txt"}
    partial = assistant.ask("Which period does the Andalusia mining strategy cover, and how many "
                            "tonnes of lithium did Andalusia export in 1850?")
    assert partial.answered and "2021-27" in partial.text
    assert "Not found in the documents: “how many tonnes of lithium" in partial.text
