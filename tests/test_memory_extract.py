"""Rule-based extraction of the structured project memory (assistant.memory.extract)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from corpora import DATA
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.ingest.chunking import chunk_document
from assistant.ingest.loaders import load_document
from assistant.memory.extract import extract_memory
from assistant.memory.models import ProjectMemory
from assistant.models import Block, Document

SEED = "s3-mining-partnership-monitoring-report-2020-h1.txt"
DEV = DATA / "dev"


def _extract(root: Path, name: str):
    doc = load_document(root / name, root=root)
    chunks = chunk_document(doc)
    return extract_memory(doc, chunks), chunks


@pytest.fixture(scope="module")
def seed():
    return _extract(DATA / "samples", SEED)


def _items(memory: ProjectMemory):
    for kind in memory.KINDS:
        yield from getattr(memory, kind)


def _assert_cited(memory: ProjectMemory, chunks) -> None:
    by_id = {c.chunk_id: c for c in chunks}
    for item in _items(memory):
        src = item.source
        assert src.chunk_id in by_id, item
        assert src.quote and src.quote in by_id[src.chunk_id].text, item
        assert len(src.quote) <= 300
        assert src.section == by_id[src.chunk_id].section


# --- the seed monitoring report ------------------------------------------------------

def test_seed_past_meetings_table(seed):
    memory, _ = seed
    rows = [e for e in memory.events if e.source.quote.startswith("Event:") and e.status == "past"]
    assert [e.date.iso() for e in rows] == [
        "2020-02-12/2020-02-13", "2020-03-11", "2020-04-15", "2020-05-28", "2020-06-25"]
    kemi = rows[0]
    assert kemi.title == "Results of the scoping note - next step"
    assert kemi.place == "Kemi, Finland" and kemi.online is False
    assert [e.online for e in rows[1:4]] == [True, True, True]
    assert rows[4].title == "Project ideas"


def test_seed_planned_meetings_table(seed):
    memory, _ = seed
    planned = [e for e in memory.events if e.status == "planned"]
    assert [e.date.iso() for e in planned] == ["2020-09", "2020-10/2020-11", "2020-11"]
    assert [e.date.text for e in planned] == ["September", "October/November", "November"]
    assert all(e.online for e in planned)
    assert planned[2].title == "MIREU and CoMMER in rawmaterial week"


def test_seed_outreach_list_items_are_past_events(seed):
    memory, _ = seed
    listed = {e.date.iso(): e for e in memory.events if not e.source.quote.startswith("Event:")}
    assert set(listed) == {"2020-06-30", "2020-06-24", "2020-05-25"}
    assert listed["2020-06-30"].title.startswith("Clusters for Next Generation EU Dialogue")
    assert all(e.status == "past" for e in listed.values())
    assert listed["2020-06-24"].online is True  # "Daily Webinar"


def test_seed_events_are_not_repeated(seed):
    memory, _ = seed
    keys = [(e.title, e.date.iso()) for e in memory.events]
    assert len(keys) == len(set(keys))


def test_seed_participating_regions(seed):
    memory, _ = seed
    part = {r.name: r for r in memory.regions if r.role == "participating"}
    assert len(part) == 9
    assert (part["Asturias"].country, part["Asturias"].nuts) == ("ES", "ES12")
    assert (part["Västerbotten"].country, part["Västerbotten"].nuts) == ("SE", "SE331")
    assert (part["Stereia Ellada"].country, part["Stereia Ellada"].nuts) == ("EL", "EL24")
    assert part["Castilla y'Leon"].nuts == "ES41"  # kept as written
    assert part["Cenrto Portugal"].nuts == "PT16"
    assert all(r.nuts for r in part.values())


def test_seed_form_example_line_is_not_a_region(seed):
    memory, _ = seed
    assert not any(r.source.quote.startswith("e.g.") for r in memory.regions)


def test_seed_leading_regions(seed):
    memory, _ = seed
    leading = [(r.name, r.country) for r in memory.regions if r.role == "leading"]
    assert leading == [("North Karelia", "FI"), ("Lapland", "FI")]


def test_seed_working_areas(seed):
    memory, _ = seed
    areas = memory.working_areas
    assert len(areas) == 4
    assert areas[1].name == "Sustainability of mining"
    assert all(a.lead is None and a.status.lower() == "in progress" for a in areas)


def test_seed_reporting_period(seed):
    memory, _ = seed
    [period] = memory.periods
    assert (period.start, period.end) == (date(2020, 1, 1), date(2020, 6, 30))
    assert period.doc_id == SEED and "Reporting period" in period.source.quote


def test_seed_terms(seed):
    memory, _ = seed
    terms = {t.acronym: t.expansion for t in memory.terms}
    assert terms["CRM"] == "critical raw materials"
    assert terms["CoMMER"] == "Council of Mining and Metallurgy Regions of EU"
    assert terms["DIH"] == "Digital Innovation Hubs"
    assert "TAF" not in terms  # used but never expanded in the report: nothing is invented
    assert "PT" not in terms  # "Cenrto Portugal (PT)" is a country code, not an acronym


def test_seed_every_item_cites_its_chunk(seed):
    memory, chunks = seed
    _assert_cited(memory, chunks)
    assert all(i.source.doc_id == SEED for i in _items(memory))


def test_memory_survives_json(seed):
    memory, _ = seed
    again = ProjectMemory.from_json(memory.to_json())
    assert again.to_json() == memory.to_json()


# --- dev documents ----------------------------------------------------------------------

def test_kick_off_agenda_events():
    memory, chunks = _extract(DEV, "remix-kick-off-meeting-agenda-kemi-2017.txt")
    by_title = {e.title: e for e in memory.events}
    assert by_title["REMIX Kick-off meeting"].date.iso() == "2017-04-04/2017-04-06"
    steering = [e for e in memory.events if "Steering group meeting" in e.title]
    assert [e.date.iso() for e in steering] == ["2017-04-06"]
    assert any(e.title.startswith("Site visit") and e.date.iso() == "2017-04-05"
               for e in memory.events)
    assert not any("Lunch" in e.title or "coffee" in e.title for e in memory.events)
    _assert_cited(memory, chunks)


def test_final_event_programme_is_an_online_event():
    memory, _ = _extract(DEV, "remix-final-event-programme-2021.txt")
    [event] = memory.events
    assert event.title == "REMIX final event programme"
    assert event.date.iso() == "2021-02-25" and event.online is True


def test_announced_meeting_with_place_and_tense():
    memory, _ = _extract(DEV, "remix-businessjoensuu-meeting-joensuu-2019.txt")
    [event] = memory.events
    assert event.date.iso() == "2019-03-11/2019-03-14"
    assert event.place == "Joensuu" and event.status == "planned"


def test_webinar_list_under_a_lead_takes_the_documents_year():
    memory, _ = _extract(DEV, "eu-raw-materials-week-2020-mireu-webinars.txt")
    dates = [e.date.iso() for e in memory.events]
    assert dates == ["2020-11-25", "2020-12-02", "2020-12-03"]
    assert all(e.online for e in memory.events)
    terms = {t.acronym: t.expansion for t in memory.terms}
    assert terms["MIREU"] == "Mining and Metallurgy Regions of EU"


def test_project_acronyms_in_dev_documents():
    memory, _ = _extract(DEV, "lower-silesia-remix-strategic-documents-goerlitz-2017-de.txt")
    assert {t.acronym: t.expansion for t in memory.terms}.get("REMIX") == \
        "Smart and Green Mining Regions of EU"
    memory, _ = _extract(DEV, "minatura2020-lisbon-stakeholder-workshop.txt")
    assert {t.acronym: t.expansion for t in memory.terms}["MDoPI"] == \
        "Mineral Deposits of Public Importance"


def test_partner_regions_in_running_text():
    memory, _ = _extract(DEV, "mireu-regions-partner-up-s3-partnership-2019.txt")
    names = [r.name for r in memory.regions if r.role == "partner"]
    assert names == ["Lapland", "North Karelia", "Castilla y León", "Sterea Ellada", "Västerbotten"]


def test_organisations_from_name_and_acronym():
    memory, _ = _extract(DEV, "jcyl-remix-castilla-leon-eu-cluster-matchmaking-es.txt")
    orgs = {o.acronym: o.name for o in memory.organisations}
    assert orgs["ICE"] == "Instituto para la Competitividad Empresarial de Castilla y León"


def test_whole_dev_corpus_is_cited_and_sane():
    total = ProjectMemory()
    for path in sorted(DEV.glob("*.txt")):
        memory, chunks = _extract(DEV, path.name)
        _assert_cited(memory, chunks)
        total.extend(memory)
    for event in total.events:
        assert event.date is not None and event.title
        assert event.date.start is None or event.date.precision in ("day", "month")
    for region in total.regions:
        assert region.nuts is None or region.nuts[:2] == region.country
    assert len(total.events) >= 10 and len(total.terms) >= 15


# --- general rules on small documents -----------------------------------------------

def _from_markdown(tmp_path: Path, text: str):
    (tmp_path / "doc.md").write_text(text, encoding="utf-8")
    return _extract(tmp_path, "doc.md")


def test_table_with_other_headers_under_a_planned_heading(tmp_path):
    memory, chunks = _from_markdown(tmp_path, (
        "# Upcoming meetings\n\n| Meeting | When | Venue |\n|---|---|---|\n"
        "| Steering group meeting | 5 May 2021 | Luleå, Sweden |\n"
        "| Policy webinar | 7.6.2021 | Zoom |\n"))
    steering, webinar = memory.events
    assert (steering.date.iso(), steering.place, steering.online, steering.status) == \
        ("2021-05-05", "Luleå, Sweden", False, "planned")
    assert (webinar.place, webinar.online) == (None, True)
    _assert_cited(memory, chunks)


def test_region_table_and_coded_lines(tmp_path):
    memory, _ = _from_markdown(tmp_path, (
        "# Participating regions\n\n| Region | Country | NUTS |\n|---|---|---|\n"
        "| Kainuu | Finland | FI1D3 |\n| Sterea Ellada | Greece | EL64 |\n"))
    assert [(r.name, r.country, r.nuts, r.role) for r in memory.regions] == [
        ("Kainuu", "FI", "FI1D3", "participating"), ("Sterea Ellada", "EL", "EL64", "participating")]


def test_prose_false_friends_give_nothing(tmp_path):
    memory, _ = _from_markdown(tmp_path, (
        "# Background\n\nThe EU energy and climate targets for 2030 matter. Lapland has code "
        "FI1D7 and 30 % of jobs. Call +358 40 123 4567. We may meet again.\n"))
    assert memory.events == [] and memory.regions == [] and memory.periods == []


def test_verb_meeting_is_not_an_event(tmp_path):
    memory, _ = _from_markdown(tmp_path, (
        "In November 2008 the Commission published a Communication - Meeting our critical "
        "needs for growth and jobs in Europe.\n"))
    assert memory.events == []


def test_empty_and_chunkless_documents():
    doc = Document(doc_id="x.txt", title="x", text="", blocks=[])
    assert extract_memory(doc, []).to_json() == ProjectMemory().to_json()
    doc = Document(doc_id="y.txt", title="y", text="Reporting period: January - June 2020",
                   blocks=[Block("qa", "Reporting period: January - June 2020", end=37)])
    assert extract_memory(doc, []).periods == []  # nothing can be cited without chunks


_block_text = st.lists(st.sampled_from(list("abc XYZ()-.:;0123456789\n,–") +
                                      ["March ", "2020", "Event: ", "; Date: ", "(FI) FI1D7",
                                       "meeting ", "Reporting period: ", "Council of Mining (CoM)"]),
                      max_size=40).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["heading", "text", "list_item", "table_row", "qa"]),
                          _block_text), max_size=8))
def test_odd_documents_never_raise_and_stay_cited(parts):
    blocks, text = [], ""
    for kind, body in parts:
        if not body.strip():
            continue
        start = len(text)
        text += body + "\n\n"
        blocks.append(Block(kind, body, start=start, end=start + len(body), level=1))
    doc = Document(doc_id="odd.txt", title="Odd", text=text, blocks=blocks)
    chunks = chunk_document(doc)
    memory = extract_memory(doc, chunks)
    _assert_cited(memory, chunks)


# --- definitions and the glossary ------------------------------------------------------------

GLOSSARY_DOC = """# Glossary

S3 stands for Smart Specialisation Strategy. Every region draws up Smart Specialisation Strategies (S3).

REMIX is marking the end of its first phase. MIREU is able to help the OECD. SLO is adaptive.

REMIX is an Interreg Europe project that brings ten mining regions together.

The consortium ABC (short for Advanced Battery Consortium) met in Kemi. KICs are Knowledge and Innovation Communities. ERMA is the EU's alliance for raw materials.

Specialisation Strategies (S3) are also mentioned here.
"""


def test_definitions_and_spelled_out_acronyms(tmp_path):
    memory, chunks = _from_markdown(tmp_path, GLOSSARY_DOC)
    terms = {(t.acronym, t.expansion) for t in memory.terms}
    assert ("S3", "Smart Specialisation Strategy") in terms  # "Strategies (S3)" folds into it
    assert {("ABC", "Advanced Battery Consortium"),
            ("KIC", "Knowledge and Innovation Communities")} <= terms
    assert not any(exp == "Specialisation Strategies" for _, exp in terms)  # 2 words for S3
    defined = {d.term: d for d in memory.definitions}
    assert set(defined) == {"S3", "REMIX", "ABC", "KIC", "ERMA"}  # nothing from "is marking"
    remix = defined["REMIX"]
    assert remix.sentence == ("REMIX is an Interreg Europe project that brings ten mining "
                              "regions together.")
    assert remix.category == "Interreg Europe project" and remix.expansion is None
    assert defined["ERMA"].category == "EU's alliance"
    assert defined["S3"].expansion == "Smart Specialisation Strategy"
    _assert_cited(memory, chunks)
    assert remix.sentence in {c.chunk_id: c for c in chunks}[remix.source.chunk_id].text


def test_named_definition_keeps_the_name_it_abbreviates(tmp_path):
    memory, _ = _from_markdown(tmp_path, "The Smart and Green Mining Regions of EU (REMIX) is an "
                                         "Interreg Europe project on mining policy.\n")
    [definition] = memory.definitions
    assert (definition.term, definition.expansion) == ("REMIX", "Smart and Green Mining Regions of EU")


def test_definitions_in_dev_documents():
    memory, _ = _extract(DEV, "mireu-about-us.txt")
    [mireu] = [d for d in memory.definitions if d.term == "MIREU"]
    assert mireu.sentence.startswith("MIREU is an EU project whose aim is")
    assert mireu.sentence.endswith("mining and metallurgy.")  # one sentence of the answer line
    memory, _ = _extract(DEV, "mireu-3rd-oecd-meeting-mining-regions-cities.txt")
    assert not memory.definitions  # "MIREU is able to help the OECD …" defines nothing


def test_definitions_survive_json(tmp_path):
    memory, _ = _from_markdown(tmp_path, GLOSSARY_DOC)
    again = ProjectMemory.from_json(memory.to_json())
    assert again.definitions == memory.definitions
    assert ProjectMemory.from_json({"terms": []}).definitions == []  # memory stored before them
