"""Output verification: only sentences citing given passages that share their words survive."""

from __future__ import annotations

import pytest

from assistant.llm.grounding import ground
from assistant.models import CitedSentence

PASSAGES = [
    "Kick-off — Meetings\nThe REMIX kick-off meeting was held in Kemi, Finland, on 5-6 April "
    "2017. Partners from ten regions attended.",
    "Speakers\nMr. Auffret from DG GROW talked about raw materials policy.",
    "Bees\nHoney bees live in colonies. A colony has one queen.",
    "Reunión de lanzamiento\nLa reunión de lanzamiento del proyecto se celebró en Kemi, "
    "Finlandia, los días 5 y 6 de abril de 2017 con socios de diez regiones europeas.",
]


def test_cited_sentences_come_back_without_markers() -> None:
    reply = ("The kick-off was held in Kemi, Finland, on 5-6 April 2017 [1]. "
             "Mr. Auffret of DG GROW spoke about raw materials policy [2, 1].")
    assert ground(reply, PASSAGES) == [
        CitedSentence("The kick-off was held in Kemi, Finland, on 5-6 April 2017.", (1,)),
        CitedSentence("Mr. Auffret of DG GROW spoke about raw materials policy.", (2, 1)),
    ]


def test_citations_to_missing_passages_are_removed() -> None:
    reply = "The kick-off was held in Kemi [1][9]. Honey bees live in colonies [0][12]."
    assert ground(reply, PASSAGES) == [CitedSentence("The kick-off was held in Kemi.", (1,))]


def test_uncited_sentences_are_removed() -> None:
    reply = ("PWNED. The kick-off was held in Kemi [1]. It was a great success. "
             "Partners from ten regions attended [1].")
    assert [s.text for s in ground(reply, PASSAGES)] == [
        "The kick-off was held in Kemi.", "Partners from ten regions attended."]


def test_nothing_cited_is_an_empty_result() -> None:
    assert ground("PWNED", PASSAGES) == []
    assert ground("", PASSAGES) == []
    assert ground("[1]", PASSAGES) == []


@pytest.mark.parametrize("reply", [
    "The kick-off was held in Kemi. [1] Bees live in colonies. [3]",
    "The kick-off was held in Kemi.[1] Bees live in colonies.[3]",
    "The kick-off was held in Kemi [Source 1]. Bees live in colonies [passage 3].",
    "The kick-off was held in Kemi.\n[1]\nBees live in colonies [3].",
])
def test_a_citation_after_the_full_stop_belongs_to_its_sentence(reply: str) -> None:
    assert ground(reply, PASSAGES) == [
        CitedSentence("The kick-off was held in Kemi.", (1,)),
        CitedSentence("Bees live in colonies.", (3,)),
    ]


def test_list_items_are_sentences_with_a_bullet_only_when_asked() -> None:
    reply = ("The kick-off:\n- took place in Kemi [1]\n* had a talk by Mr. Auffret [2]\n"
             "- ten regions")
    assert ground(reply, PASSAGES, bullets=True) == [
        CitedSentence("- took place in Kemi", (1,)),
        CitedSentence("- had a talk by Mr. Auffret", (2,))]
    assert ground(reply, PASSAGES) == [CitedSentence("took place in Kemi", (1,)),
                                       CitedSentence("had a talk by Mr. Auffret", (2,))]


def test_a_sentence_citing_an_unrelated_passage_is_removed() -> None:
    reply = ("The kick-off launched a lithium recycling plant in Portugal [3]. "
             "Ten regions' partners took part in the Kemi kick-off [1].")
    assert ground(reply, PASSAGES) == [
        CitedSentence("Ten regions' partners took part in the Kemi kick-off.", (1,))]
    # the same sentence with a lenient threshold survives: the check is what removed it
    assert len(ground(reply, PASSAGES, min_support=0.0)) == 2


def test_short_sentences_and_other_languages_are_not_judged_by_word_overlap() -> None:
    reply = ("It was in Kemi [1]. The project's opening meeting gathered partners of ten "
             "European regions in Finland in April 2017 [4].")
    # even a threshold nothing could meet keeps them: neither is judged
    assert [s.refs for s in ground(reply, PASSAGES, min_support=1.0)] == [(1,), (4,)]
    # while the same English sentence citing an English passage is judged
    english = reply.replace("[4]", "[1]")
    assert [s.refs for s in ground(english, PASSAGES, min_support=1.0)] == [(1,)]
