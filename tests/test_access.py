"""Access control: restricted documents never reach an audience outside their allowed set —
not in answers, quotes, retrieved chunks, nearest sources, the memory or drafts."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from corpora import hash_assistant, write_corpus

from assistant.access import PUBLIC, Audience, Visibility
from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.ingest.access_rules import AccessRules, parse_visibility_header
from assistant.service import Assistant

SECRET = "Zorblatt"  # unique to the folder-restricted document
BOARD = "Quibbleton"  # unique to the document restricted by its own header

CORPUS = {
    "public/overview.txt": (
        "Title: Partnership overview\n\n"
        "The Mining industry partnership is led by Lapland and North Karelia. "
        "Its members meet online every month to discuss regional value chains.\n"
    ),
    "confidential/self-assessment.txt": (
        "Title: Self-assessment\n\n"
        f"The self-assessment rates cooperation with the {SECRET} quarry consortium as weak. "
        f"The {SECRET} quarry budget was cut by 40 percent in 2020.\n\n"
        f"The {SECRET} Quarry Consortium (ZQC) met the partners twice.\n\n"
        "Reporting period: January - June 2020\n\n"
        "Past meetings\n\n"
        "| Event | Date | Place |\n|---|---|---|\n"
        f"| {SECRET} budget review | 12.3.2020 | Kemi, Finland |\n\n"
        "Participating regions\n\n"
        f"{SECRET}land (FI) FI1D9\n"
    ),
    "notes/board.txt": (
        "Title: Board notes\nVisibility: restricted users=UBOARD\n\n"
        f"The board discussed the {BOARD} board minutes in closed session on 3 March 2020.\n"
    ),
}

ACCESS = """
[[restrict]]
paths = ["confidential/**"]
channels = ["CSTEER"]
users = ["UCOORD"]
"""


@pytest.fixture
def assistant(tmp_path: Path) -> Assistant:
    a = hash_assistant(tmp_path, {**CORPUS, "access.toml": ACCESS})
    assert len(a.reader().files()) == 3  # the access file is read, not indexed
    return a


def _everything_shown(answer) -> str:
    """All an answer shows besides the echoed question: text, citations, quotes, retrieved."""
    shown = answer.to_json()
    shown.pop("question")
    return json.dumps(shown, ensure_ascii=False)


QUESTION = f"What happened to the {SECRET} quarry budget?"

PUBLIC_CHANNEL = Audience.slack(channel="CGENERAL", user="UCOORD", channel_type="channel")
STEERING = Audience.slack(channel="CSTEER", user="USOMEONE", channel_type="group")
DM_COORD = Audience.slack(channel="DCOORD", user="UCOORD", channel_type="im")
DM_OTHER = Audience.slack(channel="DOTHER", user="UOTHER", channel_type="im")
DM_BOARD = Audience.slack(channel="DBOARD", user="UBOARD", channel_type="im")


@pytest.mark.parametrize("audience", [PUBLIC_CHANNEL, DM_OTHER], ids=["public-channel", "dm-other"])
def test_restricted_facts_never_reach_unallowed_audiences(assistant: Assistant, audience):
    for question in (QUESTION, f"{BOARD} board minutes", "Who leads the partnership?",
                     "self-assessment cooperation rating"):
        answer = assistant.ask(question, audience=audience)
        assert SECRET not in _everything_shown(answer), (question, audience)
        assert BOARD not in _everything_shown(answer), (question, audience)
        hits = assistant.search(question, k=50, audience=audience)
        assert all(SECRET not in h.chunk.text and BOARD not in h.chunk.text for h in hits)
        assert {h.chunk.doc_id for h in hits} <= {"public/overview.txt"}


def test_a_user_allowed_elsewhere_still_sees_nothing_in_a_public_channel(assistant: Assistant):
    # UCOORD may read the self-assessment in a DM, but everyone in #general would read the answer.
    assert SECRET not in _everything_shown(assistant.ask(QUESTION, audience=PUBLIC_CHANNEL))
    assert SECRET in _everything_shown(assistant.ask(QUESTION, audience=DM_COORD))


@pytest.mark.parametrize("audience", [STEERING, DM_COORD, Audience.everyone()],
                         ids=["allowed-channel", "dm-allowed-user", "cli"])
def test_allowed_audiences_get_the_restricted_answer(assistant: Assistant, audience):
    answer = assistant.ask(QUESTION, audience=audience)
    assert answer.answered
    assert "40 percent" in answer.text
    assert any(c.doc_id == "confidential/self-assessment.txt" for c in answer.citations)


def test_visibility_header_restricts_a_single_document(assistant: Assistant):
    q = f"When did the board discuss the {BOARD} board minutes?"
    assert BOARD in _everything_shown(assistant.ask(q, audience=DM_BOARD))
    for audience in (DM_COORD, STEERING, PUBLIC_CHANNEL):
        assert BOARD not in _everything_shown(assistant.ask(q, audience=audience))


def test_refusal_nearest_sources_are_filtered_too(assistant: Assistant):
    answer = assistant.ask("What is the population of Mars colonies?", audience=PUBLIC_CHANNEL)
    assert not answer.answered
    assert all(c.doc_id == "public/overview.txt" for c in answer.citations)


def test_access_change_takes_effect_on_next_ingest_without_re_embedding(assistant: Assistant):
    access = assistant.settings.corpus_dir / "access.toml"
    access.write_text(ACCESS.replace('"CSTEER"', '"CSTEER", "CGENERAL"'), encoding="utf-8")
    report = assistant.ingest(progress=False, log=lambda _: None)
    assert report.embedded == 0 and report.added == report.updated == 0
    assert SECRET in _everything_shown(assistant.ask(QUESTION, audience=PUBLIC_CHANNEL))
    access.unlink()  # no access file: the folder rule is gone, the header rule stays
    assistant.ingest(progress=False, log=lambda _: None)
    assert SECRET in _everything_shown(assistant.ask(QUESTION, audience=DM_OTHER))
    q = f"{BOARD} board minutes"
    assert BOARD not in _everything_shown(assistant.ask(q, audience=DM_OTHER))


def test_memory_is_filtered_by_document_visibility(assistant: Assistant):
    everything = assistant.memory()
    assert any(SECRET in e.title for e in everything.events)  # the fixture does reach the memory
    assert any(t.acronym == "ZQC" for t in everything.terms)
    seen_by_public = assistant.memory(audience=PUBLIC_CHANNEL)
    for kind in everything.KINDS:
        for item in getattr(seen_by_public, kind):
            doc = item.doc_id if kind == "periods" else item.source.doc_id
            assert doc == "public/overview.txt"
    assert set(assistant.reader().visible_doc_ids(PUBLIC_CHANNEL)) == {"public/overview.txt"}
    assert "confidential/self-assessment.txt" in assistant.reader().visible_doc_ids(STEERING)


# --- rules and headers ----------------------------------------------------------------------


def test_rules_match_folders_names_and_union_audiences(tmp_path: Path):
    path = tmp_path / "access.toml"
    path.write_text(
        '[[restrict]]\npaths = ["private/**"]\nchannels = ["C1"]\n'
        '[[restrict]]\npaths = ["*budget*"]\nusers = ["U9"]\n', encoding="utf-8")
    rules = AccessRules.load(path)
    assert rules.visibility("public/a.txt") == PUBLIC
    assert rules.visibility("private/deep/x.pdf") == Visibility(frozenset({"C1"}), frozenset(), True)
    both = rules.visibility("private/budget-2020.txt")
    assert both.channels == {"C1"} and both.users == {"U9"}
    assert rules.visibility("other/budget.md").users == {"U9"}


def test_no_access_file_means_public_and_a_broken_one_stops_the_ingest(tmp_path: Path):
    assert AccessRules.load(tmp_path / "missing.toml").visibility("x.txt") == PUBLIC
    bad = tmp_path / "access.toml"
    bad.write_text("[[restrict]\npaths = [", encoding="utf-8")
    with pytest.raises(ConfigError, match="access.toml"):
        AccessRules.load(bad)


@pytest.mark.parametrize("header, channels, users", [
    ("restricted channels=C1,C2 users=U1", {"C1", "C2"}, {"U1"}),
    ("confidential C7 U8 G9", {"C7", "G9"}, {"U8"}),
    ("restricted", set(), set()),
])
def test_visibility_header_forms(header, channels, users):
    vis = parse_visibility_header(header)
    assert vis.restricted and vis.channels == channels and vis.users == users


def test_public_header_is_public():
    assert parse_visibility_header("public") == PUBLIC


def test_audience_rules():
    restricted = Visibility(frozenset({"C1"}), frozenset({"U1"}), True)
    assert Audience.everyone().may_see(restricted)
    assert Audience.slack(channel="C1", user="U2").may_see(restricted)
    assert not Audience.slack(channel="C2", user="U1").may_see(restricted)
    assert Audience.slack(channel="D5", user="U1").may_see(restricted)
    assert not Audience.slack(channel="D5", user="U2", channel_type="im").may_see(restricted)
    assert Audience.slack(channel="C2", user="U2").may_see(PUBLIC)


def _draft_text(assistant: Assistant, section: str, audience) -> str:
    from assistant.drafting import render_markdown

    draft = assistant.draft(section, audience=audience)
    return render_markdown(draft) + json.dumps(draft.to_json(), ensure_ascii=False, default=str)


@pytest.mark.parametrize("section", ["past-events", "participating-regions", "results", "report"])
def test_drafts_and_listings_hold_nothing_restricted_for_unallowed_audiences(
        assistant: Assistant, section: str):
    for audience in (PUBLIC_CHANNEL, DM_OTHER):
        assert SECRET not in _draft_text(assistant, section, audience)
        assert all(SECRET not in e.title for e in assistant.events(audience=audience))
        assert not [t for t in assistant.memory(audience=audience).terms if t.acronym == "ZQC"]
    if section == "past-events":
        assert SECRET in _draft_text(assistant, section, STEERING)
        assert any(SECRET in e.title for e in assistant.events(audience=DM_COORD))


def test_cli_sees_everything_unless_it_asks_as_a_channel_or_user(assistant: Assistant):
    from click.testing import CliRunner

    from assistant.cli import main

    s = assistant.settings
    env = {"ASSISTANT_CORPUS_DIR": str(s.corpus_dir), "ASSISTANT_INDEX_DIR": str(s.index_dir),
           "ASSISTANT_DATA_DIR": str(s.data_dir), "ASSISTANT_CACHE_DIR": str(s.cache_dir),
           "ASSISTANT_EMBEDDER": "hash", "ASSISTANT_LLM_BASE_URL": ""}

    def shown(*args: str) -> str:
        result = CliRunner().invoke(main, list(args), env=env)
        assert result.exit_code == 0, result.output
        return result.output.replace(QUESTION, "")

    assert "40 percent" in shown("ask", QUESTION)
    assert SECRET not in shown("ask", QUESTION, "--as-channel", "CGENERAL")
    assert SECRET not in shown("ask", QUESTION, "--as-user", "UOTHER")
    assert "40 percent" in shown("ask", QUESTION, "--as-user", "UCOORD")
    assert SECRET in shown("events") and SECRET not in shown("events", "--as-channel", "CGENERAL")
    assert "ZQC" in shown("glossary") and "ZQC" not in shown("glossary", "--as-user", "UOTHER")


def test_an_ingested_folder_outside_the_corpus_dir_uses_its_own_access_file(tmp_path: Path):
    other = write_corpus(tmp_path / "elsewhere", CORPUS)
    (other / "access.toml").write_text(ACCESS, encoding="utf-8")
    settings = Settings(corpus_dir=tmp_path / "unused", index_dir=tmp_path / "index",
                        data_dir=tmp_path / "d", cache_dir=tmp_path / "cache", embedder="hash")
    lines: list[str] = []
    a = Assistant(settings=settings)
    a.ingest([other], progress=False, log=lines.append)
    assert not [line for line in lines if "skipped" in line]  # the access file is read
    # and the log says which access file governs a folder outside the corpus dir
    assert [line for line in lines if "outside the corpus dir" in line
            and str(other / "access.toml") in line]
    assert SECRET not in _everything_shown(a.ask(QUESTION, audience=PUBLIC_CHANNEL))
    assert SECRET in _everything_shown(a.ask(QUESTION, audience=STEERING))


def test_a_broken_access_file_stops_the_ingest_and_keeps_the_index(assistant: Assistant):
    before = assistant.reader().size
    (assistant.settings.corpus_dir / "access.toml").write_text("[[restrict]\n", encoding="utf-8")
    (assistant.settings.corpus_dir / "new.txt").write_text("A new public note.", encoding="utf-8")
    with pytest.raises(ConfigError, match="access.toml"):
        assistant.ingest(progress=False, log=lambda _: None)
    assert assistant.reader().size == before
    assert SECRET not in _everything_shown(assistant.ask(QUESTION, audience=PUBLIC_CHANNEL))


def test_ingesting_a_subfolder_keeps_the_corpus_rules(assistant: Assistant):
    """`ingest corpus/confidential` (even with an access file of its own that says nothing)
    governs its files by the corpus dir's access file, unchanged or re-read."""
    corpus = assistant.settings.corpus_dir
    (corpus / "confidential" / "access.toml").write_text("# nothing restricted here\n", "utf-8")
    secret = corpus / "confidential" / "self-assessment.txt"
    for change in ("none", "touch", "edit"):
        if change == "touch":
            os.utime(secret, ns=(secret.stat().st_atime_ns, secret.stat().st_mtime_ns + 10**9))
        elif change == "edit":
            secret.write_text(secret.read_text("utf-8") + "\nOne more line.\n", "utf-8")
        lines: list[str] = []
        assistant.ingest([corpus / "confidential"], progress=False, log=lines.append)
        assert not [line for line in lines if "outside the corpus dir" in line]
        assert SECRET not in _everything_shown(assistant.ask(QUESTION, audience=PUBLIC_CHANNEL)), change
        assert SECRET in _everything_shown(assistant.ask(QUESTION, audience=STEERING)), change
