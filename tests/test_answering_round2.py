"""Answer rules of round 2: follow-ups that only name a new subject, a value stated next to the
sentence that names its subject, a lead-in that only restates the question. Small hand-made
passages, the deterministic hash embedder."""

from __future__ import annotations

from corpora import hash_assistant

from assistant.answering.extractive import HEDGE
from assistant.answering.followup import contextualise

REGIONS = {
    "karelia.txt": "Title: Regions of eastern Finland\n\nNorth Karelia is the easternmost region "
                   "of the country and borders Russia. Joensuu is its capital city. Forests "
                   "cover most of the land.\n",
    "mines.txt": "Title: Underground mines\n\nDepth of mine: 1,500 metres (Renström mine)\n"
                 "Depth of mine: 620 metres (Kankberg mine)\n",
}


def test_a_follow_up_naming_a_new_subject_asks_the_previous_question_about_it() -> None:
    assert contextualise("and Kankberg?", ["How deep is the Renström mine?"]) == \
        "How deep is the Kankberg mine?"
    assert contextualise("what about Andalusia?", ["What is the NUTS code of Sterea Ellada?"]) \
        == "What is the NUTS code of Andalusia?"
    # A follow-up with a question of its own keeps it, with the previous question as context.
    assert contextualise("and when was that?", ["Where was the kick-off held?"]) == \
        "and when was that? (Where was the kick-off held?)"


def test_the_new_subject_of_a_follow_up_gets_its_own_value(tmp_path) -> None:
    assistant = hash_assistant(tmp_path, REGIONS)
    answer = assistant.ask("and Kankberg?", history=["How deep is the Renström mine?"])
    assert answer.answered and "620" in answer.text and "1,500" not in answer.text


def test_a_follow_up_does_not_answer_the_previous_question_again(tmp_path) -> None:
    assistant = hash_assistant(tmp_path, {
        "erma.txt": "Title: ERMA launch\n\nThe European Commission has launched the European Raw "
                    "Materials Alliance (ERMA). The stakeholder consultation process will be run "
                    "by EIT RawMaterials.\n",
    })
    answer = assistant.ask("who runs its stakeholder consultation?",
                           history=["What does ERMA stand for?"])
    assert answer.answered and "EIT RawMaterials" in answer.text
    assert "stands for" not in answer.text


def test_a_value_sentence_that_refers_back_comes_with_its_subject_sentence(tmp_path) -> None:
    assistant = hash_assistant(tmp_path, REGIONS)
    answer = assistant.ask("What is the capital of North Karelia?")
    assert answer.answered and "Joensuu is its capital city" in answer.text
    assert "North Karelia is the easternmost region" in answer.text


def test_names_listed_in_prose_answer_a_question_for_several_things(tmp_path) -> None:
    assistant = hash_assistant(tmp_path, {
        "workshop.txt": "Title: First clustering workshop\n\nOn 15 June 2021 the SUMEX project held "
                        "its first clustering workshop with projects and partners from overseas. "
                        "In the opening session, four ERA-MIN projects – nanoBT, ReminE, LIGHTS "
                        "and REVIVING – outlined their work on tailings.\n",
    })
    answer = assistant.ask("Which ERA-MIN projects presented their work at the first SUMEX "
                           "clustering workshop?")
    assert answer.answered
    assert all(name in answer.text for name in ("nanoBT", "ReminE", "LIGHTS", "REVIVING"))


def test_a_part_of_a_compound_question_is_answered_by_its_own_words(tmp_path) -> None:
    """The second part carries the first as context; the context must not choose its answer."""
    assistant = hash_assistant(tmp_path, {
        "mines.txt": "Title: Boliden area\n\nMining in the Skellefteå field started in the 1920s "
                     "when Boliden found gold. Production has continued for a century since "
                     "then.\n\nTellurium from the Kankberg mine goes into solar cells.\n",
    })
    answer = assistant.ask("In which decade did Boliden start mining in the Skellefteå field, "
                           "and which mine yields tellurium?")
    assert answer.answered and "1920s" in answer.text and "Kankberg" in answer.text


def test_a_heading_that_restates_the_question_does_not_answer_it(tmp_path) -> None:
    assistant = hash_assistant(tmp_path, {
        "agenda.txt": "Title: Kick-off meeting\n\nAgenda of the Kick-off Meeting\n"
                      "9.00 Welcome and introductions\n12.00 Lunch\n",
        "report.txt": "Title: Partner report\n\nThe partners travelled to the kick-off meeting, "
                      "held in Kemi, Finland, on 4 April 2017.\n",
    })
    answer = assistant.ask("In which Finnish town was the kick-off meeting held in April 2017?")
    assert answer.answered and "Kemi" in answer.text
    assert not answer.text.replace(HEDGE, "").lstrip().startswith("Agenda")


def test_a_deadline_is_answered_with_a_date(tmp_path) -> None:
    assistant = hash_assistant(tmp_path, {
        "call.txt": "Title: Call for hub activities\n\nThe call for hub activities is open to "
                    "universities and companies. All details of the call for hub activities are "
                    "in the call document. Proposals must be submitted online by Monday "
                    "16 January 2023 at the latest.\n",
    })
    answer = assistant.ask("What was the deadline for the call for hub activities?")
    assert answer.answered and "16 January 2023" in answer.text
