"""The extractive answer step across languages: which names can tell what a passage in another
language is about, and which units of such passages are measured by meaning."""

from __future__ import annotations

from assistant.answering.extractive import SENSE_CHUNKS, ExtractiveAnswerer
from assistant.embedding import HashingEmbedder
from assistant.models import Chunk, Hit


def hit(text: str, *, doc: str, n: int = 0) -> Hit:
    return Hit(Chunk(chunk_id=f"{doc}#{n}", doc_id=doc, title="Page", text=text), score=1.0)


def flat_idf(token: str) -> float:
    return 1.0


PROGRAMME = hit("The roundtable discussion at the REMIX final event in February 2021 was "
                "moderated by Julius Oforsagd, creative director of Arctic Factor.",
                doc="programme.txt")


def test_capitalised_words_the_other_language_translates_are_no_subject_to_look_for() -> None:
    """German capitalises every noun ("Diskussionsrunde", "Abschlussveranstaltung"); an English
    page says "roundtable discussion" and "final event". Those words are not names to find."""
    answer = ExtractiveAnswerer(idf=flat_idf).answer(
        "Wer moderierte die Diskussionsrunde der REMIX-Abschlussveranstaltung im Februar 2021?",
        [PROGRAMME])
    assert answer.answered and "Julius Oforsagd" in answer.text
    assert "(in English)" in answer.text


KITTILA = hit("The Kittilä mine lies roughly 20 kilometres from Levi, Finland's largest ski "
              "resort. Tourism is the main employer in the municipality.", doc="kittila.txt")
OTHER_MINE = hit("Each year about 900 kilogrammes of gold come out of the Pahtavaara mine.",
                 doc="pahtavaara.txt")


def test_a_name_spelt_alike_across_languages_still_says_what_a_passage_is_about() -> None:
    """"Kittilän" (Finnish) is spelt as the English page spells it: a number from a page about
    another mine does not answer how much gold comes out of Kittilä, even in another language."""
    answerer = ExtractiveAnswerer(idf=flat_idf)
    question = "Paljonko kultaa Kittilän kaivoksesta saadaan vuosittain?"
    assert not answerer.answer(question, [OTHER_MINE, KITTILA]).answered
    there = hit("Each year about 8000 kilogrammes of gold come out of the Kittilä mine.",
                doc="lapland.txt")
    answer = answerer.answer(question, [there, OTHER_MINE, KITTILA])
    assert answer.answered and "8000" in answer.text.split("[")[0]


def test_units_of_a_page_in_another_language_are_measured_wherever_it_was_retrieved() -> None:
    """Similarity across languages runs low, so the foreign page often comes after the pages in
    the question's own language: its units are measured by meaning all the same."""
    english = [hit(f"Page {i} is about the cooperation of regions in Europe on raw materials "
                   f"policy, number {i}.", doc=f"en{i}.txt") for i in range(SENSE_CHUNKS + 1)]
    spanish = hit("Este miércoles, Pilar del Olmo, consejera de Hacienda, abrió la Conferencia "
                  "REMIX de minería en Arroyo. La conferencia reunió a nueve regiones europeas.",
                  doc="es.txt")
    answer = ExtractiveAnswerer(idf=flat_idf, embedder=HashingEmbedder(dim=64)).answer(
        "Who opened the REMIX mining conference in Arroyo?", [*english, spanish])
    assert answer.signals["extractive.foreign"] == 1.0
    assert answer.signals["extractive.unit_sense"] != -1.0
    assert answer.answered and "Pilar del Olmo" in answer.text and "(in Spanish)" in answer.text


def test_units_as_close_in_meaning_as_the_chosen_one_are_quoted_with_it() -> None:
    """The model ranks the units of a page in another language too closely to tell the one that
    answers from its neighbours: those within SENSE_TIE that hold what was asked for go along."""
    from assistant.answering.extractive import SENSE_TIE, Candidate, _sense_companions
    from assistant.answering.question import profile, types_in
    from assistant.answering.units import split_units

    page = hit("Some 1,100 jobs in Kittilä come from tourism. The mine lies near Levi. "
               "Each year about 8000 kilogrammes of gold come out of the Kittilä mine. "
               "About 400 people work directly for the mine.", doc="kittila.txt")
    units = split_units(page.chunk.text)
    prof = profile("Paljonko kultaa Kittilän kaivoksesta saadaan vuosittain?")
    senses = [0.800, 0.800, 0.800 - SENSE_TIE / 2, 0.800 - 2 * SENSE_TIE]

    def candidate(i: int) -> Candidate:
        return Candidate(units[i], 0, page, frozenset(), frozenset(), units, foreign=True,
                         language="en", sense=senses[i], types=types_in(units[i].text, prof.words))

    cands = [candidate(i) for i in range(len(units))]
    quoted = [c.unit.text for c in _sense_companions(prof, cands[0], [cands[0]], cands)]
    # The close unit without a number is left out, and so is the number too far in meaning.
    assert quoted == [units[2].text]
    native = Candidate(units[0], 0, page, frozenset(), frozenset(), units, sense=None)
    assert _sense_companions(prof, native, [native], cands) == []
