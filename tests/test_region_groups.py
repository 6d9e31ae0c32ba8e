"""Regions listed once however they are spelt, and regions named only in running text.

The grouping is tested on the memory's own Region items (pure), and end to end through
`remix-assistant regions --json` over a small corpus indexed with the hash embedder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.cli import main
from assistant.memory.models import Region, SourceRef
from assistant.memory.region_groups import group_regions

from corpora import hash_assistant


def _region(name: str, nuts: str | None = None, country: str | None = None,
            role: str = "participating", doc: str = "report.txt") -> Region:
    country = country or (nuts[:2] if nuts else None)
    quote = f"{name} ({country}) {nuts}" if nuts else f"… {name} …"
    return Region(name=name, nuts=nuts, country=country, role=role,
                  source=SourceRef(chunk_id=f"{doc}#{name}", doc_id=doc, title=doc, quote=quote))


def _groups(*regions: Region) -> dict[str, list[str]]:
    return {g.name: g.spellings for g in group_regions(list(regions))}


def test_a_typo_and_the_right_spelling_are_one_region_shown_as_the_official_one():
    groups = group_regions([_region("Castilla y'Leon", "ES41"),
                            _region("Castilla y León", role="partner", doc="news.txt")])
    assert len(groups) == 1
    (group,) = groups
    assert group.name == "Castilla y León"  # the spelling nearest the official label
    assert group.spellings == ["Castilla y León", "Castilla y'Leon"]
    assert group.roles == ["participating", "partner"] and group.nuts == "ES41"
    # each mention keeps its own quote: the document's spelling is still there to read
    assert [s.quote for s in group.sources] == ["Castilla y'Leon (ES) ES41", "… Castilla y León …"]


def test_a_code_in_no_nuts_version_still_finds_the_official_spelling():
    assert _groups(_region("Stereia Ellada", "EL24"),
                   _region("Sterea Ellada", role="partner", doc="news.txt")) == {
        "Sterea Ellada": ["Sterea Ellada", "Stereia Ellada"]}


def test_a_country_word_and_a_transposition_do_not_make_another_region():
    assert _groups(_region("Cenrto Portugal", "PT16"),
                   _region("Centro", country="PT", role="mentioned", doc="b.txt")) == {
        "Centro": ["Centro", "Cenrto Portugal"]}  # the spelling nearest "Centro (PT)" shown


def test_one_code_given_to_two_regions_keeps_them_apart():
    names = _groups(_region("Lapland", "FI1D7"), _region("North Karelia", "FI1D7"))
    assert set(names) == {"Lapland", "North Karelia"}


def test_a_name_inside_a_longer_one_is_another_region():
    assert set(_groups(_region("Castilla y León", "ES41"),
                       _region("León", country="ES", role="mentioned"))) == {"Castilla y León",
                                                                             "León"}


def test_an_ambiguous_name_joins_neither_region():
    names = _groups(_region("North Karelia", "FI1D3"), _region("South Karelia", "FI1C5"),
                    _region("Karelia", country="FI", role="mentioned"))
    assert set(names) == {"North Karelia", "South Karelia", "Karelia"}


def test_one_name_in_two_countries_is_two_regions():
    groups = group_regions([_region("Limburg", "NL42"), _region("Limburg", "BE22")])
    assert sorted(g.country for g in groups) == ["BE", "NL"]


def test_mentioned_is_a_role_only_when_there_is_no_other():
    (group,) = group_regions([_region("Kainuu", "FI1D8"),
                              _region("Kainuu", country="FI", role="mentioned", doc="b.txt")])
    assert group.roles == ["participating"]


PROSE = {
    "report.md": (
        "# Participating regions\n\n"
        "- Castilla y'Leon (ES) ES41\n- Stereia Ellada (EL) EL24\n- Kainuu (FI) FI1D3\n"),
    "news.txt": (
        "Title: Partner news\n\nThe partner regions – Castilla y León, Sterea Ellada and Kainuu – "
        "signed the agreement.\n"),
    "cornwall.txt": (
        "Title: Peer review background\n\nCornwall is a county in England. Its regional "
        "authority is Cornwall Council.\n"),
    "silesia.txt": (
        "Title: Kick-off presentation\n\nDOLNOŚLĄSKIE (LOWER SILESIA) IN POLSKA (POLAND) "
        "Surface: 19 948 km2. The Centro Internacional de Materiales Avanzados is in the "
        "North of the region.\n"),
}


@pytest.fixture
def prose_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    assistant = hash_assistant(tmp_path, PROSE)
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "hash")
    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(assistant.settings.corpus_dir))
    return assistant.settings.index_dir


def _regions_json(index: Path, *args: str) -> list[dict]:
    result = CliRunner().invoke(main, ["regions", "--json", "--index", str(index), *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_regions_named_only_in_prose_are_listed_as_mentioned(prose_index: Path):
    mentioned = {r["name"]: r for r in _regions_json(prose_index, "--role", "mentioned")}
    assert set(mentioned) == {"Cornwall", "Lower Silesia"}  # not "Centro", not "North"
    assert mentioned["Cornwall"]["country"] == "UK" and mentioned["Lower Silesia"]["country"] == "PL"
    assert "DOLNOŚLĄSKIE (LOWER SILESIA)" in mentioned["Lower Silesia"]["source"]["quote"]


def test_the_regions_listing_merges_spellings_across_documents(prose_index: Path):
    rows = {r["name"]: r for r in _regions_json(prose_index)}
    assert rows["Castilla y León"]["spellings"] == ["Castilla y León", "Castilla y'Leon"]
    assert rows["Sterea Ellada"]["roles"] == ["participating", "partner"]
    assert rows["Kainuu"]["codes"] == ["FI1D3"]
    assert rows["Kainuu"]["nuts_check"]["flagged"]  # the official-NUTS check still applies
    assert {s["doc"] for s in rows["Kainuu"]["sources"]} == {"report.md", "news.txt"}
    text = CliRunner().invoke(main, ["regions", "--index", str(prose_index)]).stdout
    assert "Castilla y León (also: Castilla y'Leon)" in text
