"""The extractive answerer and the question analysis it relies on."""

from __future__ import annotations

import pytest
from corpora import hash_assistant

from assistant.answering.extractive import HEDGE, ExtractiveAnswerer
from assistant.answering.question import answer_types_of, has_type
from assistant.answering.units import split_sentences, split_units
from assistant.models import NOT_FOUND, Chunk, Hit
from assistant.answering.followup import contextualise


def hit(text: str, *, doc: str = "a.txt", score: float = 1.0, kind: str = "text",
        section: str = "", title: str = "Doc") -> Hit:
    return Hit(Chunk(chunk_id=f"{doc}#0", doc_id=doc, title=title, text=text, section=section,
                     kind=kind), score=score)


def flat_idf(token: str) -> float:
    return 1.0


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("When did Phase 1 of the REMIX project end?", {"date"}),
        ("In which year did the mine reach commercial production?", {"date"}),
        ("How many regions provided the value chain matrix?", {"count"}),
        ("How much ERDF money did the programme have?", {"amount"}),
        ("Who spoke at the MIREU online workshop?", {"name"}),
        ("At which conference, in which city and month was it launched?", {"name", "date"}),
        ("What is the NUTS code of Asturias?", {"code"}),
        ("What are the working areas of the partnership?", set()),
    ],
)
def test_answer_types(question: str, expected: set[str]) -> None:
    assert answer_types_of(question) == expected


def test_type_checks_distinguish_counts_from_years() -> None:
    assert has_type("8 regions have provided the matrix", "count")
    assert not has_type("CoMMER will be launched by the end of 2020", "count")
    assert has_type("CoMMER will be launched by the end of 2020", "date")
    assert has_type("The meeting was on 12-13.2.2020 in Kemi", "date")
    assert has_type("The programme had EUR 359 million of ERDF", "amount")
    assert not has_type("The programme was funded by the ERDF", "amount")


def test_sentences_survive_abbreviations_and_decimals() -> None:
    text = "EIT gave e.g. 1.7 million EUR to Dr. Smith on 12.2.2020. Then it ended. Fine!"
    assert split_sentences(text) == [
        "EIT gave e.g. 1.7 million EUR to Dr. Smith on 12.2.2020.", "Then it ended.", "Fine!"]


def test_units_keep_rows_and_items_whole() -> None:
    units = split_units("Intro line. Second.\n- first item\nEvent: A; Date: 1.1.2020; Place: Kemi")
    assert [(u.kind, u.text) for u in units] == [
        ("sentence", "Intro line."), ("sentence", "Second."), ("item", "first item"),
        ("row", "Event: A; Date: 1.1.2020; Place: Kemi")]


def test_answer_quotes_the_supporting_sentence_with_a_citation() -> None:
    hits = [
        hit("Mining is important. The REMIX kick-off meeting was held in Kemi in April 2017. "
            "Lunch was served.", doc="kickoff.txt"),
        hit("Bees make honey in summer.", doc="bees.txt", score=0.5),
    ]
    answer = ExtractiveAnswerer(idf=flat_idf).answer("Where was the REMIX kick-off meeting held?",
                                                     hits)
    assert answer.answered
    assert "Kemi" in answer.text and "[1]" in answer.text
    assert "Lunch" not in answer.text and "Bees" not in answer.text
    assert answer.citations[0].doc_id == "kickoff.txt" and "Kemi" in answer.citations[0].quote


def test_unrelated_question_is_refused_with_nearest_sources() -> None:
    hits = [hit("The REMIX kick-off meeting was held in Kemi in April 2017.", doc="k.txt")]
    answer = ExtractiveAnswerer(idf=flat_idf).answer("What is the recipe for paella?", hits)
    assert not answer.answered
    assert answer.text.startswith(NOT_FOUND)
    assert [c.doc_id for c in answer.citations] == ["k.txt"]


def test_count_question_without_a_number_is_refused() -> None:
    hits = [hit("Many regions joined CoMMER as members after its launch in 2020.")]
    answer = ExtractiveAnswerer(idf=flat_idf).answer(
        "How many regions joined CoMMER as members?", hits)
    assert not answer.answered


def test_list_question_returns_the_table_rows() -> None:
    table = ("Working areas of the partnership\n"
             "Working area: Upgrading SME competitiveness; Region in charge: In progress\n"
             "Working area: Sustainability of mining; Region in charge: In progress\n"
             "Working area: Regional mining development centres; Region in charge: In progress")
    answer = ExtractiveAnswerer(idf=flat_idf).answer(
        "What are the working areas of the partnership?", [hit(table, kind="table")])
    assert answer.answered
    for area in ("SME competitiveness", "Sustainability of mining", "development centres"):
        assert area in answer.text


def test_answer_can_draw_on_two_documents() -> None:
    hits = [
        hit("The REMIX final event was held online in February 2021.", doc="final.txt"),
        hit("Participants could attend the final event through Zoom.", doc="zoom.txt", score=0.9),
    ]
    answer = ExtractiveAnswerer(idf=flat_idf).answer(
        "When was the REMIX final event held, and through which tool could people attend it?",
        hits)
    assert "February 2021" in answer.text and "Zoom" in answer.text
    assert {c.doc_id for c in answer.citations} == {"final.txt", "zoom.txt"}


def test_follow_up_is_resolved_against_the_previous_question() -> None:
    previous = "Where was the REMIX kick-off meeting held?"
    assert contextualise("and when was that?", [previous]).endswith(f"({previous})")
    assert contextualise("and when was that?", []) == "and when was that?"
    standalone = "Which Austrian university talked about the raw materials strategy of Austria?"
    assert contextualise(standalone, [previous]) == standalone


def test_long_standalone_question_with_a_pronoun_is_left_alone() -> None:
    question = ("What kind of organisational architecture is credited to GKZ, making it an ideal "
                "adviser within the REMIX project?")
    assert contextualise(question, ["Where was the kick-off?"]) == question


SPANISH = ("Según Del Olmo, la UE está promoviendo estos proyectos, puesto que en el territorio "
           "de la Unión existen 41 materiales críticos y la escasez de materias primas de origen "
           "mineral obliga a importarlas desde otros países de fuera de la Unión Europea.")


def test_page_in_another_language_is_supported_by_dense_similarity() -> None:
    question = "According to the councillor, how many critical materials exist in EU territory?"
    spanish = Hit(Chunk(chunk_id="es#0", doc_id="es.txt", title="Consejero", text=SPANISH),
                  score=1.0, dense=0.86)
    english = Hit(Chunk(chunk_id="en#0", doc_id="en.txt", title="Bees", text=(
        "Bees make honey in the summer and the beekeepers of the region sell it at the market "
        "in town, where it is one of the products that visitors like to buy.")),
        score=0.9, dense=0.80)
    answer = ExtractiveAnswerer(idf=flat_idf).answer(question, [spanish, english])
    assert answer.answered and "41" in answer.text
    assert answer.citations[0].doc_id == "es.txt"


def test_same_language_page_gets_no_dense_lift() -> None:
    question = "According to the councillor, how many critical materials exist in EU territory?"
    english = Hit(Chunk(chunk_id="en#0", doc_id="en.txt", title="Bees", text=(
        "The beekeepers of the region counted 41 hives in the summer, and they sell the honey "
        "at the market in town, where it is one of the products that visitors like to buy.")),
        score=1.0, dense=0.86)
    other = Hit(Chunk(chunk_id="o#0", doc_id="o.txt", title="Other", text="Nothing here at all."),
                score=0.5, dense=0.70)
    assert not ExtractiveAnswerer(idf=flat_idf).answer(question, [english, other]).answered


def test_on_what_date_needs_a_day_not_just_a_month() -> None:
    question = "On what date did the REMIX peer review visit to Lapland take place?"
    month_only = [hit("The REMIX peer review visit to Lapland took place in March.")]
    with_day = [hit("The REMIX peer review visit to Lapland took place on 12 March 2019.")]
    assert not ExtractiveAnswerer(idf=flat_idf).answer(question, month_only).answered
    answer = ExtractiveAnswerer(idf=flat_idf).answer(question, with_day)
    assert answer.answered and "12 March 2019" in answer.text


def test_population_question_needs_a_population_figure() -> None:
    question = "What was the population of the Kainuu region in 2019?"
    other_number = [hit("Five regions, Kainuu among them, joined the partnership in 2019.")]
    population = [hit("In 2019 the Kainuu region had a population of 72,306 inhabitants.")]
    assert not ExtractiveAnswerer(idf=flat_idf).answer(question, other_number).answered
    assert "72,306" in ExtractiveAnswerer(idf=flat_idf).answer(question, population).text


def test_list_after_a_lead_in_sentence_is_quoted_whole() -> None:
    text = ("The aims of the partnership are:\n"
            "to strengthen regional innovation capacity\n"
            "to identify joint demonstration opportunities\n"
            "to spread the knowledge of expert organisations\n"
            "CoMMER will be launched at the end of 2020 as a deliverable of the partnership.")
    answer = ExtractiveAnswerer(idf=flat_idf).answer("What are the aims of the partnership?",
                                                     [hit(text)])
    assert answer.answered
    for aim in ("regional innovation", "joint demonstration", "expert organisations"):
        assert aim in answer.text
    assert "CoMMER" not in answer.text


def test_list_introduced_by_an_ordinary_sentence_comes_with_it() -> None:
    text = ("Please list the participating regions with their NUTS codes.\n"
            "Lapland (FI) FI1D7\nKainuu (FI) FI1D3\nVästerbotten (SE) SE331")
    answer = ExtractiveAnswerer(idf=flat_idf).answer(
        "List the participating regions with their NUTS codes.", [hit(text)])
    for row in ("FI1D7", "FI1D3", "SE331"):
        assert row in answer.text


def test_how_many_question_gets_the_number_not_the_list_after_it() -> None:
    text = ("The consortium behind MIREU consists of 30 partners from 17 regions.\n"
            "Our Mission\nImage: a man in a hard hat\nMany sectors depend on mining")
    answer = ExtractiveAnswerer(idf=flat_idf).answer(
        "How many partners are in the MIREU consortium?", [hit(text)])
    assert "30 partners" in answer.text and "Our Mission" not in answer.text


def test_sources_that_disagree_are_both_shown() -> None:
    hits = [
        hit("CoMMER will be officially launched by the end of 2020 by the MIREU project.",
            doc="report.txt"),
        hit("CoMMER was officially launched in March 2021 by the MIREU project.",
            doc="news.txt", score=0.95),
    ]
    answer = ExtractiveAnswerer(idf=flat_idf).answer("When was CoMMER officially launched?", hits)
    assert "end of 2020" in answer.text and "March 2021" in answer.text
    assert {c.doc_id for c in answer.citations} == {"report.txt", "news.txt"}


def test_sources_that_agree_are_not_repeated() -> None:
    hits = [
        hit("CoMMER was officially launched in March 2021 by the MIREU project.", doc="a.txt"),
        hit("In March 2021 CoMMER was officially launched by MIREU.", doc="b.txt", score=0.95),
    ]
    answer = ExtractiveAnswerer(idf=flat_idf).answer("When was CoMMER officially launched?", hits)
    assert [c.doc_id for c in answer.citations] == ["a.txt"]


def test_who_is_the_role_needs_a_name_stated_in_that_role() -> None:
    question = "Which organisation is the lead partner of the project EMRIE?"
    no_role = [hit("The EMRIE project unites Lapland and Andalusia so that they can lead the "
                   "transformation of the European raw materials sector.")]
    with_role = [hit("The lead partner of the project EMRIE is the Regional Council of Lapland.")]
    assert not ExtractiveAnswerer(idf=flat_idf).answer(question, no_role).answered
    answer = ExtractiveAnswerer(idf=flat_idf).answer(question, with_role)
    assert answer.answered and "Regional Council of Lapland" in answer.text


@pytest.mark.parametrize("text, is_day", [
    ("14.00-17.00 Workshop in room 2", False),  # clock times are not dates
    ("Coffee 10.30-11.00", False),
    ("Share 1.25.2020 of the budget", False),  # no month 25
    ("The meeting was on 12-13.2.2020 in Kemi", True),
    ("Deadline 30/09/2019", True),
])
def test_numeric_dates_need_a_real_day_and_month(text: str, is_day: bool):
    assert has_type(text, "day") is is_day


def test_a_value_about_another_subject_does_not_answer(tmp_path) -> None:
    """A population of the right kind, on a page about another region, is not Kainuu's."""
    assistant = hash_assistant(tmp_path, {
        "lapland.txt": "Title: Lapland\n\nIn 2019 around 180,000 people lived in the Lapland "
                       "region, 3.3% of the Finnish population.\n",
        "partnership.txt": "Title: Partnership\n\nIn 2019 five regions joined forces with the "
                           "Kainuu region in a mining partnership.\n",
    })
    assert not assistant.ask("What was the population of the Kainuu region in 2019?").answered
    lapland = assistant.ask("What is the population of Lapland?")
    assert lapland.answered and "180,000" in lapland.text


def test_an_answer_opens_with_the_unit_holding_the_value_asked_for(tmp_path) -> None:
    assistant = hash_assistant(tmp_path, {
        "news.txt": "Title: Mining industry partnership news\n\nThe main purpose of the Mining "
                    "industry partnership is to start joint work on mining value chains in the "
                    "partnership regions.\n",
        "form.txt": "Title: Mining industry partnership monitoring report\n\n"
                    "Start date of your partnership: Fall 2019\n",
    })
    answer = assistant.ask("When did the Mining industry partnership start?")
    assert answer.answered and "Fall 2019" in answer.text
    assert answer.text.replace(HEDGE, "").lstrip().startswith("Start date")
