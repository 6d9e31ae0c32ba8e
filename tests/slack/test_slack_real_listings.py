"""`Assistant.sources` and `/remix sources|regions|glossary` over a real index (hash embedder):
restricted documents are listed, counted and quoted only for their audience."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from corpora import SMALL_CORPUS, hash_assistant
from fakeslack import FakeSlack
from slackkit import start_bot

from assistant.access import Audience

FILES = {
    **SMALL_CORPUS,
    "board/minutes.txt": (
        "Title: Glimmerdale board minutes\n\nThe Glimmerdale Smelter Consortium (GSC) approved "
        "its budget.\n\n| Region | Country | NUTS |\n|---|---|---|\n| Glimmerdale | AT | AT999 |\n"
    ),
    "access.toml": '[[restrict]]\npaths = ["board/**"]\nchannels = ["CBOARD"]\nusers = ["UBOSS"]\n',
}
OUTSIDER = Audience.slack(channel="D1", user="U1", channel_type="im")
BOSS = Audience.slack(channel="D2", user="UBOSS", channel_type="im")


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory):
    return hash_assistant(tmp_path_factory.mktemp("listings"), FILES)


def test_sources_lists_only_visible_documents_with_titles_chunks_and_build_time(assistant) -> None:
    before = datetime.now(UTC)
    everyone, outsider, boss = (assistant.sources(audience=a) for a in (None, OUTSIDER, BOSS))

    titles = [d.title for d in everyone.documents]
    assert titles == sorted(titles, key=str.casefold) and "Glimmerdale board minutes" in titles
    assert "Glimmerdale board minutes" not in [d.title for d in outsider.documents]
    assert [d.doc_id for d in boss.documents] == [d.doc_id for d in everyone.documents]
    assert len(outsider.documents) == len(everyone.documents) - 1
    records = assistant.reader().files().values()
    assert everyone.chunks == sum(r.n_chunks for r in records)
    assert outsider.chunks == sum(r.n_chunks for r in records if not r.visibility.restricted)
    kickoff = next(d for d in everyone.documents if d.doc_id == "kickoff.txt")
    assert kickoff.title == "REMIX kick-off meeting" and kickoff.url == "https://example.org/kickoff"
    assert everyone.built is not None and abs(everyone.built - before) < timedelta(minutes=10)


def test_slash_listings_through_the_real_service(assistant, tmp_path: Path, slack: FakeSlack) -> None:
    with contextlib.contextmanager(start_bot)(tmp_path, slack, assistant) as bot:
        for channel, name in (("CPUBLIC", "pub"), ("CBOARD", "board")):
            for sub in ("sources", "regions", "glossary GSC"):
                bot.command(sub, channel=channel, user="UBOSS", response=f"{name}-{sub.split()[0]}")
        slack.wait_for(lambda: len([c for c in slack.recorded() if c.method.startswith("response:")]) >= 6,
                       timeout=30, what="six replies")
        bot.settle()

    def said(name: str) -> str:
        return json.dumps(slack.of(f"response:{name}"), ensure_ascii=False)

    assert "REMIX kick-off meeting" in said("pub-sources") and "Glimmerdale" not in said("pub-sources")
    assert "Glimmerdale board minutes" in said("board-sources")
    assert "Lapland" in said("pub-regions") and "Glimmerdale" not in said("pub-regions")
    assert "Glimmerdale" in said("board-regions")
    assert "Glimmerdale Smelter Consortium" in said("board-glossary")
    assert "Glimmerdale" not in said("pub-glossary") and "I found no acronym" in said("pub-glossary")
