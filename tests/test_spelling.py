"""Typos in questions corrected against the index's words (assistant/retrieval/spelling.py),
and the correction shown: Answer.searched_for, the CLI, the Slack answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.retrieval.spelling import Speller, reads_as_english
from corpora import SMALL_CORPUS, hash_assistant

TEXTS = [
    "The leading regions of the Mining industry partnership are Lapland and Castilla y León.",
    "MIREU is a network of mining and metallurgy regions. Västerbotten (SE) SE331; Lapland FI1D7.",
    "The Regional Council of Lapland leads REMIX. Exhibitors came to the mining hall.",
]


class CountingTexts:
    """The speller's text source, counting how often the vocabulary is read."""

    def __init__(self, texts: list[str]) -> None:
        self.texts, self.calls = texts, 0

    def __call__(self) -> list[str]:
        self.calls += 1
        return self.texts


@pytest.fixture
def speller() -> Speller:
    return Speller(texts=CountingTexts(TEXTS))


@pytest.mark.parametrize("typed, fixed", [
    ("wich regons lead the minning partnershp", "which regions lead the mining partnership"),
    ("waht is mireu", "what is mireu"),
    ("hwo many exibitors came?", "how many exhibitors came?"),
    ("Wich regions lead?", "Which regions lead?"),  # sentence-initial capital kept
    ("Who leads REMIX? wich regons", "Who leads REMIX? which regions"),
])
def test_typos_are_corrected_against_the_vocabulary(speller: Speller, typed: str, fixed: str
                                                    ) -> None:
    assert speller.correct(typed) == fixed


@pytest.mark.parametrize("question", [
    "Which regions lead the mining partnership?",        # every word known
    "What is the NUTS code SE331 or FI1D7 of Lapland?",  # codes and acronyms
    "How much gold did the Pahtavaara mine produce?",    # a name inside a sentence
    "How big a slice of the economy comes from holidaymakers?",  # English, not in the corpus
    "What does CoMMER or BEPA stand for in 2020?",       # acronyms, mixed case, a number
    "Wer moderierte die erste Diskussionsrunde?",        # another language: left whole
    "Paljonko kultaa Kittilän kaivoksesta saadaan vuosittain?",
    "¿Cuántos proyectos seleccionó la Comisión?",
    "Vilket år etablerades Bolidenområdet?",
    "is it ok",                                          # short words are never guessed
])
def test_known_words_codes_names_and_other_languages_are_left_alone(speller: Speller,
                                                                     question: str) -> None:
    assert speller.correct(question) == question


def test_english_detection() -> None:
    assert reads_as_english("waht is mireu")  # short: given the benefit of the doubt
    assert reads_as_english("how many exibitors came to the mining hall")
    assert not reads_as_english("Paljonko kultaa Kittilän kaivoksesta saadaan vuosittain?")


def test_vocabulary_is_read_once_and_only_when_needed() -> None:
    texts = CountingTexts(TEXTS)
    speller = Speller(texts=texts)
    assert speller.correct("what is the") == "what is the"  # question words: no vocabulary
    assert texts.calls == 0
    for _ in range(3):
        assert speller.correct("waht regons") == "what regions"
    assert texts.calls == 1


def test_service_answers_the_typo_question_like_the_clean_one(tmp_path: Path) -> None:
    assistant = hash_assistant(tmp_path, SMALL_CORPUS)
    clean = assistant.ask("Where was the REMIX kick-off meeting held?")
    typo = assistant.ask("Wher was the REMIX kick-off meetng hled?")
    assert clean.answered and "Kemi" in clean.text
    assert typo.text == clean.text and typo.answered
    assert typo.searched_for == "Where was the REMIX kick-off meeting held?"
    assert typo.question == "Wher was the REMIX kick-off meetng hled?"
    assert clean.searched_for is None
    assert typo.to_json()["searched_for"] == typo.searched_for
    # The calibrator is told the question was corrected (a feature it may weigh).
    assert typo.signals["question.corrected"] == 1.0 and clean.signals["question.corrected"] == 0.0


def test_speller_follows_the_index_version(tmp_path: Path) -> None:
    """A word added by a later ingest is known (and a candidate) from the next question on."""
    assistant = hash_assistant(tmp_path, SMALL_CORPUS)
    assert assistant.ask("Who keeps the zorblatts?").searched_for is None
    (assistant.settings.corpus_dir / "zorb.txt").write_text(
        "Title: Beekeeping rota\n\nThe zorblatts are kept by the beekeepers of Kemi.\n",
        encoding="utf-8")
    assistant.ingest(progress=False, log=lambda _: None)
    assert assistant.ask("Who keeps the zorblats?").searched_for == "Who keeps the zorblatts?"


def test_slack_answer_shows_what_was_searched_for(tmp_path: Path) -> None:
    from assistant.slack.blocks import render_answer

    assistant = hash_assistant(tmp_path, SMALL_CORPUS)
    typo = render_answer(assistant.ask("Wher was the REMIX kick-off meeting held?"), key="k1")
    first = typo.blocks[0]
    assert first["type"] == "context"
    assert first["elements"][0]["text"] == \
        "Searched for: Where was the REMIX kick-off meeting held?"
    clean = render_answer(assistant.ask("Where was the REMIX kick-off meeting held?"), key="k2")
    assert all("Searched for" not in str(b) for b in clean.blocks)
