"""`/remix draft` (thread + .docx), `/remix events`, help/home, and their Markdown/Block Kit rendering."""

from __future__ import annotations

import io
import json
from datetime import date

import docx
import pytest
from slackkit import Bot, all_text

from assistant.slack import agenda, blocks, drafts

DRAFT_TEXT = "Drafting… I will post it in a thread in this conversation."


def finish(bot: Bot, name: str) -> list[dict]:
    bot.slack.wait_for(lambda: bot.slack.of(f"response:{name}"), what=f"{name} reply")
    bot.settle()
    return bot.slack.of(f"response:{name}")


def test_draft_posts_parent_thread_and_docx(bot: Bot) -> None:
    r = bot.command("draft past-events 2017-01..2017-06", response="d1")
    assert r.status == 200 and json.loads(r.body)["text"] == DRAFT_TEXT
    done = finish(bot, "d1")
    parent, *thread = bot.slack.of("chat.postMessage")
    assert parent["channel"] == "C1" and "thread_ts" not in parent
    assert parent["text"] == "Draft: Past events (2017-01-01..2017-06-30)"
    parent_ts = bot.slack.recorded()[[c.method for c in bot.slack.recorded()].index("chat.postMessage")].result["ts"]
    assert thread and all(m["thread_ts"] == parent_ts and m["channel"] == "C1" for m in thread)
    body = all_text([b for m in thread for b in m["blocks"]])
    assert "*Past events*" in body and "several times" in body
    # the table: header once, one line per row; only events of the period
    assert "_Event · Date · Place_" in body
    assert "• *REMIX kick-off meeting* · 5-6 April 2017 · Kemi, Finland" in body
    assert "Partnership webinar" not in body

    (complete,) = bot.slack.of("files.completeUploadExternal")
    assert complete["channel_id"] == "C1" and complete["thread_ts"] == parent_ts
    (file_id, data), = bot.slack.uploads.items()
    assert json.loads(complete["files"])[0]["id"] == file_id
    paragraphs = [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]
    assert paragraphs[0] == "Past events" and any("REMIX kick-off meeting" in p for p in paragraphs)
    assert "Posted the draft of *Past events*" in done[0]["text"]


def test_long_draft_is_split_within_block_kit_limits(bot: Bot) -> None:
    bot.command("draft long-report", response="long")
    finish(bot, "long")
    thread = bot.slack.of("chat.postMessage")[1:]
    assert len(thread) > 1
    for m in thread:
        assert 0 < len(m["blocks"]) <= 50 and len(m["text"]) <= 40000
        assert all(len(b["text"]["text"]) <= 3000 for b in m["blocks"])
    words = " ".join(b["text"]["text"] for m in thread for b in m["blocks"]).split()
    expected = " ".join(f"Sentence {s} of part {p} about mining." for p in range(40) for s in range(60)).split()
    body = [w for w in words if w in set(expected)]
    assert "Sentence 59 of part 39 about mining." in " ".join(words)
    assert len(body) >= len(expected)  # nothing lost


@pytest.mark.parametrize("text", ["draft", "draft list", "draft --list"])
def test_draft_without_section_lists_sections(bot: Bot, text: str) -> None:
    r = bot.command(text)
    body = json.loads(r.body)
    shown = all_text(body["blocks"])
    assert "`past-events` — *Past events*: events held in the period" in shown
    assert "`long-report`" in shown
    bot.settle()
    assert bot.service.audiences == [] and bot.slack.of("response:cmd") == []


def test_unknown_section_gets_the_services_error(bot: Bot) -> None:
    bot.command("draft budgets", response="bad")
    reply = finish(bot, "bad")[0]
    assert "Unknown section 'budgets'; valid sections: past-events, long-report" in reply["text"]
    assert bot.slack.of("chat.postMessage") == []


def test_bad_period_is_explained_in_the_ack(bot: Bot) -> None:
    body = json.loads(bot.command("draft past-events 2020-06..2020-01").body)
    assert "ends before it starts" in body["text"]
    bot.settle()
    assert bot.service.audiences == []


def test_draft_in_a_dm_posts_in_the_dm(bot: Bot) -> None:
    bot.command("draft past-events", channel="D1", response="dm")
    finish(bot, "dm")
    assert {m["channel"] for m in bot.slack.of("chat.postMessage")} == {"D1"}
    assert bot.slack.of("files.completeUploadExternal")[0]["channel_id"] == "D1"


def test_draft_in_a_dm_the_bot_cannot_post_in_goes_to_its_own_dm(bot: Bot) -> None:
    bot.slack.fail_next("chat.postMessage", 200, error="channel_not_found")
    bot.command("draft past-events", channel="D_PEOPLE", user="U1", response="dm2")
    finish(bot, "dm2")
    posts = bot.slack.of("chat.postMessage")
    assert posts[0]["channel"] == "U1" and posts[0]["text"].startswith("Draft: Past events")


def test_draft_in_a_channel_without_the_bot_says_how_to_invite(bot: Bot) -> None:
    bot.slack.fail_next("chat.postMessage", 200, error="not_in_channel")
    bot.command("draft past-events", channel="C9", response="nope")
    assert "/invite @Remix Assistant" in finish(bot, "nope")[0]["text"]
    assert bot.slack.uploads == {}


def test_events_in_range_with_dates_places_and_sources(bot: Bot) -> None:
    r = bot.command("events 2020-01 2020-06", response="ev")
    assert json.loads(r.body)["response_type"] == "ephemeral"
    reply = finish(bot, "ev")[0]
    assert reply["response_type"] == "ephemeral"
    text = all_text(reply["blocks"])
    assert "*1 event from 2020-01-01 to 2020-06-30*" in text
    assert ("• *2020-05* — Partnership webinar — online _(planned)_ — "
            "S3 Mining partnership monitoring report p. 3") in text
    assert "kick-off" not in text
    (method, _), = bot.service.audiences
    assert method == "events"


def test_events_all_dates_link_sources(bot: Bot) -> None:
    reply = finish(bot, "ev") if bot.command("events", response="ev") else None
    text = all_text(reply[0]["blocks"])
    assert ("• *2017-04-05/2017-04-06* — REMIX kick-off meeting — Kemi, Finland — "
            "<https://example.org/remix/phase1|REMIX Phase 1 achievements>") in text


def test_events_bad_date_is_explained_in_the_ack(bot: Bot) -> None:
    body = json.loads(bot.command("events 2020-13").body)
    assert "is not a date" in body["text"] and "/remix events [FROM] [TO]" in body["text"]
    bot.settle()
    assert bot.service.audiences == []


def test_help_and_home_describe_the_new_commands(bot: Bot) -> None:
    help_text = all_text(json.loads(bot.command("help").body)["blocks"])
    for usage in ("/remix events [FROM] [TO]", "/remix draft SECTION [PERIOD]", "/remix add"):
        assert usage in help_text
    home = all_text(blocks.home_view()["blocks"])
    assert "/remix draft" in home and "/remix events" in home and "send me a document" in home


# --------------------------------------------------------------------------- rendering units


def test_markdown_to_mrkdwn() -> None:
    md = ("# Title & more\n\nSee **bold**, *it* and [the report](https://x.org/a?b=1&c=2) [1].\n"
          "- item <one>\n\n| A | B |\n|:--|--:|\n| [x](https://x.org) | 2 |\n| | 3 |\n\n```\n<code>\n```")
    out = drafts.markdown_to_mrkdwn(md)
    assert out.splitlines()[0] == "*Title &amp; more*"
    assert "See *bold*, _it_ and <https://x.org/a?b=1&c=2|the report> [1]." in out
    assert "• item &lt;one&gt;" in out
    assert "_A · B_\n• *<https://x.org|x>* · 2\n• 3" in out
    assert "```\n&lt;code&gt;\n```" in out


def test_draft_messages_respect_limits() -> None:
    md = "\n\n".join("word " * 700 for _ in range(30))  # 30 paragraphs of 3500 chars
    messages = drafts.draft_messages(md, max_blocks=5, message_chars=10_000)
    assert len(messages) > 1
    assert all(len(m.blocks) <= 5 and all(len(b["text"]["text"]) <= 3000 for b in m.blocks)
               for m in messages)
    assert sum(b["text"]["text"].count("word") for m in messages for b in m.blocks) == 30 * 700


def test_parse_draft_args() -> None:
    assert drafts.parse_args("") is None and drafts.parse_args("LIST") is None
    req = drafts.parse_args("Past-Events 2020-01..2020-06")
    assert req is not None and req.section == "past-events"
    assert (req.period.start, req.period.end) == (date(2020, 1, 1), date(2020, 6, 30))
    assert drafts.docx_filename(req) == "draft-past-events-2020-01_2020-06.docx"
    with pytest.raises(ValueError):
        drafts.parse_args("a b c")


def test_parse_event_range() -> None:
    assert agenda.parse_range("") == (None, None)
    assert agenda.parse_range("2020-02") == (date(2020, 2, 1), None)
    assert agenda.parse_range("2020-01 2020-02") == (date(2020, 1, 1), date(2020, 2, 29))
    assert agenda.parse_range("2020-01-15 2020-03-01") == (date(2020, 1, 15), date(2020, 3, 1))
    assert agenda.parse_range("2020-01..2020-06") == (date(2020, 1, 1), date(2020, 6, 30))
    for bad in ("2020-02-30", "soon", "2020-05 2020-01", "1 2 3"):
        with pytest.raises(ValueError):
            agenda.parse_range(bad)


def test_many_events_stay_within_block_limit() -> None:
    from slackkit import EVENTS

    many = list(EVENTS[:1]) * 400
    msg = agenda.events_message(many, None, None, max_blocks=10)
    assert len(msg.blocks) <= 10 and all(len(b["text"]["text"]) <= 3000 for b in msg.blocks)
    shown = sum(b["text"]["text"].count("REMIX kick-off meeting") for b in msg.blocks)
    assert f"…and {400 - shown} more" in msg.blocks[-1]["text"]["text"]
