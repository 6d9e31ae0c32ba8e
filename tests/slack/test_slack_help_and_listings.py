"""Greetings get the help card (never a search), and `/remix regions|glossary|sources`: ephemeral
replies through response_url, filtered by the audience of the conversation."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from slackkit import ALLOWED_CHANNEL, ALLOWED_USER, INDEX_BUILT, RESTRICTED, Bot, all_text, mention, message

from assistant.memory.models import Region, SourceRef, Term
from assistant.service import IndexedDocument, SourcesOverview
from assistant.slack import intents, listings

GREETINGS = ["hi", "Hello!", "?", "help", "hola", "moi", "Hallo", "¿Hola?", "Cześć", "hey there"]


def reply(bot: Bot, name: str) -> dict:
    bot.slack.wait_for(lambda: bot.slack.of(f"response:{name}"), what=f"{name} reply")
    bot.settle()
    (only,) = bot.slack.of(f"response:{name}")
    assert only["response_type"] == "ephemeral"
    return only


# --------------------------------------------------------------------------- greetings -> help


@pytest.mark.parametrize("text", GREETINGS)
def test_greeting_dm_gets_the_help_card_and_no_search(bot: Bot, text: str) -> None:
    bot.event(message(text, ts="10.000001", channel="D1", channel_type="im"))
    bot.slack.wait_for(lambda: bot.slack.of("chat.postMessage"), what="help card")
    bot.settle()

    (card,) = bot.slack.of("chat.postMessage")
    assert card["text"].startswith("Remix Assistant help") and card["thread_ts"] == "10.000001"
    body = all_text(card["blocks"])
    assert "/remix regions [ROLE]" in body and "/remix glossary TERM" in body and "/remix sources" in body
    assert bot.service.calls == [] and bot.slack.of("chat.update") == []


@pytest.mark.parametrize("text", ["hi", "help", "?"])
def test_mention_with_only_a_greeting_gets_the_help_card(bot: Bot, text: str) -> None:
    bot.event(mention(text, ts="11.000001"))
    bot.slack.wait_for(lambda: bot.slack.of("chat.postMessage"), what="help card")
    bot.settle()

    assert bot.slack.of("chat.postMessage")[0]["text"].startswith("Remix Assistant help")
    assert bot.service.calls == []


def test_greeting_with_a_question_is_a_question(bot: Bot) -> None:
    bot.event(message("hi, when did Phase 1 of the REMIX project end?", ts="12.000001",
                      channel="D1", channel_type="im"))
    bot.slack.wait_for(lambda: bot.slack.of("chat.update"), what="answer")
    bot.settle()

    assert "June 2019" in bot.slack.of("chat.update")[0]["text"]
    assert len(bot.service.calls) == 1


def test_intents_unit() -> None:
    sections = ("past-events", "planned-events", "summary")
    for text in GREETINGS + ["  ", "good morning", "¿?"]:
        assert intents.classify(text, sections=sections).kind == "help", text
    for text in ("What is REMIX?", "hi, what is REMIX?", "helpdesk hours of MIREU",
                 "What events are planned?", "events planned in the autumn"):
        assert intents.classify(text, sections=sections).kind == "question", text
    assert intents.classify("Draft the past-events section", sections=sections) == \
        intents.Intent("draft", "past-events")
    assert intents.classify("please draft past events for 2020-01..2020-06", sections=sections) == \
        intents.Intent("draft", "past-events 2020-01..2020-06")
    assert intents.classify("draft", sections=sections) == intents.Intent("draft", "")
    assert intents.classify("events 2020-01 2020-06") == intents.Intent("events", "2020-01 2020-06")
    assert intents.classify("Events") == intents.Intent("events", "")


# --------------------------------------------------------------------------- /remix regions


def test_regions_lists_leading_first_with_codes_and_sources(bot: Bot) -> None:
    ack = json.loads(bot.command("regions", response="r").body)
    assert ack["text"] == "Looking up the regions…"
    text = all_text(reply(bot, "r")["blocks"])

    lines = [line for line in text.splitlines() if line.startswith("• ")]
    assert [line.split("*")[1] for line in lines] == ["Lapland", "North Karelia", "Asturias"]
    assert "• *North Karelia* (FI) FI1D3 — leading — S3 Mining partnership monitoring report p. 3" in text
    assert "<https://example.org/remix/phase1|REMIX Phase 1 achievements>" in text  # Asturias' source
    assert "*3 regions in the project documents*" in text
    assert RESTRICTED not in text


def test_regions_by_role(bot: Bot) -> None:
    bot.command("regions lead", response="r")
    text = all_text(reply(bot, "r")["blocks"])
    assert "*2 leading regions in the project documents*" in text and "Asturias" not in text


def test_regions_bad_role_is_explained_in_the_ack(bot: Bot) -> None:
    body = json.loads(bot.command("regions capital").body)
    assert "'capital' is not a region role" in body["text"] and "leading" in body["text"]
    bot.settle()
    assert bot.service.audiences == []


@pytest.mark.parametrize("channel, user, allowed", [
    ("C1", ALLOWED_USER, False), (ALLOWED_CHANNEL, "U1", True), ("D5", "U1", False), ("D5", ALLOWED_USER, True),
])
def test_regions_glossary_sources_respect_the_audience(
        bot: Bot, channel: str, user: str, allowed: bool) -> None:
    for sub in ("regions", "glossary", "sources"):
        bot.command(sub, channel=channel, user=user, response=sub)
    texts = {sub: json.dumps(reply(bot, sub)) for sub in ("regions", "glossary", "sources")}

    for sub, text in texts.items():
        assert (RESTRICTED in text) is allowed, sub
    seen = {method: audience for method, audience in bot.service.audiences}
    assert seen["memory"].user == user and seen["memory"].channel == channel
    assert seen["sources"] == seen["memory"]


# --------------------------------------------------------------------------- /remix glossary


def test_glossary_term_gives_its_expansion_and_source(bot: Bot) -> None:
    bot.command("glossary s3", response="g")
    text = all_text(reply(bot, "g")["blocks"])
    assert "• *S3* — Smart Specialisation Strategy — S3 Mining partnership monitoring report p. 3" in text
    assert "REMIX" not in text


def test_glossary_restricted_term_is_unknown_outside_its_audience(bot: Bot) -> None:
    bot.command("glossary KBF", response="g")
    text = reply(bot, "g")["text"]
    assert "I found no acronym for “KBF”" in text and "Kristallberg" not in text


def test_glossary_without_term_lists_all_visible(bot: Bot) -> None:
    bot.command("glossary", response="g")
    text = all_text(reply(bot, "g")["blocks"])
    assert "*2 acronyms defined in the project documents*" in text
    assert "*REMIX* — Smart and Green Mining Regions of EU" in text


# --------------------------------------------------------------------------- /remix sources


def test_sources_lists_titles_counts_and_build_time(bot: Bot) -> None:
    bot.command("sources", response="s", channel="D2")
    text = all_text(reply(bot, "s")["blocks"])

    built = f"{INDEX_BUILT:%Y-%m-%d %H:%M} UTC"
    assert f"*I know 2 documents here* (3 passages; index built {built})" in text
    assert "• <https://example.org/remix/phase1|REMIX Phase 1 achievements> — 2 passages" in text
    assert "• S3 Mining partnership monitoring report — 1 passage" in text


# --------------------------------------------------------------------------- rendering units


def _ref(doc: str, title: str = "", url: str | None = None) -> SourceRef:
    return SourceRef(chunk_id=f"{doc}#0", doc_id=doc, title=title or doc, quote="q", url=url)


def test_region_named_by_several_documents_is_listed_once_with_its_sources() -> None:
    regions = [Region("Lapland", _ref(f"d{i}.txt"), country="FI", nuts="FI1D7", role="leading")
               for i in range(4)] + [Region("Lapland", _ref("x.txt"), role="mentioned")]
    text = all_text(listings.regions_message(regions, None).blocks)
    assert "• *Lapland* (FI) FI1D7 — leading — d0.txt, d1.txt +2" in text
    assert "• *Lapland* — mentioned — x.txt" in text
    assert all_text(listings.regions_message(regions, "partner").blocks) == \
        "I found no partner regions in the project documents."


def test_long_listings_stay_within_block_limits() -> None:
    terms = [Term(f"A{i:04d}", "Some rather long expansion of an acronym " * 3, _ref(f"doc{i}.txt"))
             for i in range(1200)]
    msg = listings.glossary_message(terms, "")
    assert len(msg.blocks) <= 50 and all(len(b["text"]["text"]) <= 3000 for b in msg.blocks)
    shown = sum(b["text"]["text"].count("• *A") for b in msg.blocks)
    assert f"…and {1200 - shown} more acronyms." in msg.blocks[-1]["text"]["text"]
    assert len(msg.text) <= 40000


def test_sources_message_with_nothing_visible_and_unknown_build_time() -> None:
    msg = listings.sources_message(SourcesOverview(documents=[], built=None))
    assert msg.text == "I have no documents that this conversation may see (index built an unknown time)."
    one = SourcesOverview(documents=[IndexedDocument(doc_id="a.txt", title="A <b>", chunks=1)],
                          built=datetime(2020, 1, 2, 3, 4, tzinfo=UTC))
    text = all_text(listings.sources_message(one).blocks)
    assert "*I know 1 document here* (1 passage; index built 2020-01-02 03:04 UTC)" in text
    assert "• A &lt;b&gt; — 1 passage" in text
