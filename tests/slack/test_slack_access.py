"""Access: a restricted fact reaches exactly the channels and DMs allowed to see it.

The FakeService hides the Kristallberg document unless the audience it gets may see it
(channel C_BOARD, or user U_BOSS in a DM) — so these tests fail if the bot forgets or builds the
audience wrongly anywhere: mention, DM, thread follow-up, `/remix`, share, draft, events.
"""

from __future__ import annotations

import io
import json
from typing import Any

import docx
import pytest
from fakeslack import BOT_USER_ID
from slackkit import ALLOWED_CHANNEL, ALLOWED_USER, RESTRICTED, Bot, mention, message

from assistant.access import Audience
from assistant.slack import blocks
from assistant.slack.buttons import NOT_SHARED_TEXT

QUESTION = "Who holds the confidential budget reserve of the partnership?"


def visible_in(bot: Bot, channel: str) -> str:
    """Everything the bot posted where members of ``channel`` can read it."""
    out = []
    for call in bot.slack.recorded():
        if call.method in ("chat.postMessage", "chat.update", "chat.postEphemeral") \
                and call.body.get("channel") == channel:
            out.append(json.dumps(call.body))
    return "\n".join(out)


def responses(bot: Bot, name: str) -> str:
    return "\n".join(json.dumps(b) for b in bot.slack.of(f"response:{name}"))


def answered(bot: Bot, channel: str, n: int = 1) -> str:
    bot.slack.wait_for(lambda: len([c for c in bot.slack.of("chat.update") if c["channel"] == channel]) >= n,
                       what=f"answer in {channel}")
    bot.settle()
    return visible_in(bot, channel)


@pytest.mark.parametrize("channel, allowed", [("C1", False), (ALLOWED_CHANNEL, True)])
def test_mention_sees_restricted_fact_only_in_allowed_channel(bot: Bot, channel: str, allowed: bool) -> None:
    bot.event(mention(QUESTION, ts="10.000001", channel=channel, user=ALLOWED_USER))
    text = answered(bot, channel)
    assert (RESTRICTED in text) is allowed
    # in a channel the channel decides, even for the allowed user
    assert bot.service.audiences == [("ask", Audience(channel=channel, user=ALLOWED_USER, is_dm=False))]


@pytest.mark.parametrize("user, allowed", [("U1", False), (ALLOWED_USER, True)])
def test_dm_sees_restricted_fact_only_for_allowed_user(bot: Bot, user: str, allowed: bool) -> None:
    bot.event(message(QUESTION, ts="20.000001", channel="D7", channel_type="im", user=user))
    text = answered(bot, "D7")
    assert (RESTRICTED in text) is allowed
    assert bot.service.audiences[0][1] == Audience(channel="D7", user=user, is_dm=True)


@pytest.mark.parametrize("channel, allowed", [("C1", False), (ALLOWED_CHANNEL, True)])
def test_thread_follow_up_uses_the_threads_channel(bot: Bot, channel: str, allowed: bool) -> None:
    bot.event(mention("When did Phase 1 of the REMIX project end?", ts="30.000001", channel=channel))
    answered(bot, channel)
    bot.event(message(QUESTION, ts="30.000005", thread_ts="30.000001", channel=channel, user=ALLOWED_USER))
    text = answered(bot, channel, 2)
    assert (RESTRICTED in text) is allowed
    assert bot.service.calls[-1]["history"] == ["When did Phase 1 of the REMIX project end?"]


@pytest.mark.parametrize("channel, user, allowed", [
    ("C1", ALLOWED_USER, False), (ALLOWED_CHANNEL, "U1", True), ("D5", "U1", False), ("D5", ALLOWED_USER, True),
])
def test_slash_answer_respects_channel_or_dm_user(bot: Bot, channel: str, user: str, allowed: bool) -> None:
    bot.command(QUESTION, channel=channel, user=user, response="ask")
    bot.slack.wait_for(lambda: bot.slack.of("response:ask"), what="slash answer")
    bot.settle()
    assert (RESTRICTED in responses(bot, "ask")) is allowed


def test_slash_in_dm_recognised_by_channel_name(bot: Bot) -> None:
    # a DM whose id does not start with D: channel_name tells
    bot.command(QUESTION, channel="G_DM", user=ALLOWED_USER, channel_name="directmessage", response="dm")
    bot.slack.wait_for(lambda: bot.slack.of("response:dm"), what="slash answer")
    assert RESTRICTED in responses(bot, "dm")
    assert bot.service.audiences[0][1] == Audience(channel="G_DM", user=ALLOWED_USER, is_dm=True)


def _share(bot: Bot, key: str, channel: str, name: str, channel_name: str | None = None
           ) -> list[dict[str, Any]]:
    bot.action({
        "type": "block_actions", "user": {"id": ALLOWED_USER}, "team": {"id": "T1"},
        "channel": {"id": channel, **({"name": channel_name} if channel_name else {})},
        "container": {"type": "message", "is_ephemeral": True},
        "response_url": bot.slack.response_url(name), "trigger_id": "1.2",
        "actions": [{"action_id": blocks.ACTION_SHARE, "block_id": "answer_actions", "value": key,
                     "type": "button"}],
    })
    bot.slack.wait_for(lambda: bot.slack.of(f"response:{name}"), what="share reply")
    bot.settle()
    return bot.slack.of(f"response:{name}")


def _private_answer_key(bot: Bot) -> str:
    bot.command(QUESTION, channel=ALLOWED_CHANNEL, user=ALLOWED_USER, response="private")
    reply = bot.slack.wait_for(lambda: bot.slack.of("response:private"), what="private answer")[0]
    assert RESTRICTED in json.dumps(reply)
    return next(e["value"] for b in reply["blocks"] for e in b.get("elements", [])
                if e.get("action_id") == blocks.ACTION_SHARE)


def test_share_refused_where_the_answers_sources_are_not_visible(bot: Bot) -> None:
    key = _private_answer_key(bot)
    posts = _share(bot, key, "C1", "share-c1")  # e.g. rules changed, or another channel
    assert RESTRICTED not in json.dumps(posts)
    assert all(p.get("response_type") != "in_channel" for p in posts)
    assert NOT_SHARED_TEXT in posts[0]["text"] and posts[0]["replace_original"] is False
    assert ("ask", Audience(channel="C1", user=ALLOWED_USER, is_dm=False)) in bot.service.audiences


def test_share_allowed_where_the_sources_are_visible(bot: Bot) -> None:
    key = _private_answer_key(bot)
    posts = _share(bot, key, ALLOWED_CHANNEL, "share-board")
    assert posts[0]["response_type"] == "in_channel" and RESTRICTED in posts[0]["text"]
    assert posts[1] == {"delete_original": True}


def test_public_answer_is_shared_after_the_check(bot: Bot) -> None:
    bot.command("When did Phase 1 of the REMIX project end?", channel="C1", response="pub")
    reply = bot.slack.wait_for(lambda: bot.slack.of("response:pub"), what="answer")[0]
    key = next(e["value"] for b in reply["blocks"] for e in b.get("elements", [])
               if e.get("action_id") == blocks.ACTION_SHARE)
    posts = _share(bot, key, "C1", "share-pub")
    assert posts[0]["response_type"] == "in_channel" and "June 2019" in posts[0]["text"]


@pytest.mark.parametrize("channel, allowed", [("C1", False), (ALLOWED_CHANNEL, True)])
def test_draft_built_for_the_channel_it_is_posted_in(bot: Bot, channel: str, allowed: bool) -> None:
    bot.command("draft past-events", channel=channel, user=ALLOWED_USER, response="draft")
    bot.slack.wait_for(lambda: bot.slack.of("response:draft"), what="draft done")
    bot.settle()
    assert (RESTRICTED in visible_in(bot, channel)) is allowed
    (data,) = bot.slack.uploads.values()
    doc_text = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    assert (RESTRICTED in doc_text) is allowed
    assert bot.service.audiences[0] == ("draft", Audience(channel=channel, user=ALLOWED_USER, is_dm=False))


@pytest.mark.parametrize("channel, user, allowed", [
    ("C1", ALLOWED_USER, False), (ALLOWED_CHANNEL, "U1", True), ("D3", ALLOWED_USER, True),
])
def test_events_list_respects_audience(bot: Bot, channel: str, user: str, allowed: bool) -> None:
    bot.command("events", channel=channel, user=user, response="events")
    bot.slack.wait_for(lambda: bot.slack.of("response:events"), what="events")
    text = responses(bot, "events")
    assert "REMIX kick-off meeting" in text
    assert (RESTRICTED in text) is allowed


# --- DMs between people: everyone in them reads what the bot posts there -------------------

PAIR = "D_PAIR"  # a DM between the allowed user and a colleague (the bot is not in it)


@pytest.mark.parametrize("members", [None, [ALLOWED_USER, "U_COLLEAGUE"]],
                         ids=["members-unknown", "members-known"])
def test_share_into_a_dm_with_someone_else_is_refused(bot: Bot, members: list[str] | None) -> None:
    if members is not None:
        bot.slack.members[PAIR] = members
    key = _private_answer_key(bot)  # cites the restricted document
    posts = _share(bot, key, PAIR, "share-pair", channel_name="directmessage")
    assert all(p.get("response_type") != "in_channel" for p in posts)
    assert RESTRICTED not in json.dumps(posts) and NOT_SHARED_TEXT in posts[0]["text"]
    assert bot.slack.of("conversations.members")[-1]["channel"] == PAIR  # Slack was asked


def test_share_into_a_dm_whose_members_all_may_see_it_is_allowed(bot: Bot) -> None:
    bot.slack.members[PAIR] = [ALLOWED_USER]  # only the allowed user reads it (e.g. a self-DM)
    key = _private_answer_key(bot)  # cites the restricted document
    posts = _share(bot, key, PAIR, "share-self", channel_name="directmessage")
    assert posts[0]["response_type"] == "in_channel" and RESTRICTED in posts[0]["text"]


def test_share_in_the_users_own_dm_with_the_bot_is_allowed(bot: Bot) -> None:
    bot.slack.members["D_BOT"] = [ALLOWED_USER, BOT_USER_ID]
    key = _private_answer_key(bot)  # cites the restricted document
    posts = _share(bot, key, "D_BOT", "share-own", channel_name="directmessage")
    assert posts[0]["response_type"] == "in_channel" and RESTRICTED in posts[0]["text"]


@pytest.mark.parametrize("members", [None, [ALLOWED_USER, "U_COLLEAGUE"]],
                         ids=["members-unknown", "members-known"])
@pytest.mark.parametrize("sub", ["ask", "events", "draft"])
def test_slash_in_a_dm_with_someone_else_uses_everyones_audience(
        bot: Bot, members: list[str] | None, sub: str) -> None:
    if members is not None:
        bot.slack.members[PAIR] = members
    else:  # e.g. the bot is not in that DM, or lacks the im:read scope
        bot.slack.fail_next("conversations.members", 200, error="channel_not_found")
    text = {"ask": QUESTION, "events": "events", "draft": "draft past-events"}[sub]
    bot.command(text, channel=PAIR, user=ALLOWED_USER, response=sub)
    bot.slack.wait_for(lambda: bot.slack.of(f"response:{sub}"), what=f"/remix {sub}")
    bot.settle()
    shown = responses(bot, sub) + json.dumps([c.body for c in bot.slack.recorded()])
    shown += "".join(d.decode("latin-1") for d in bot.slack.uploads.values())
    assert RESTRICTED not in shown
    audience = bot.service.audiences[0][1]
    assert not audience.is_dm and audience.members == frozenset(members or ())


def test_group_dm_and_a_dm_the_bot_is_not_in_hide_restricted_documents(bot: Bot) -> None:
    bot.slack.members["G_MPIM"] = [ALLOWED_USER, "U_COLLEAGUE", BOT_USER_ID]
    bot.command(QUESTION, channel="G_MPIM", user=ALLOWED_USER, channel_name="mpdm-boss--colleague-1",
                response="mpim")
    bot.slack.wait_for(lambda: bot.slack.of("response:mpim"), what="slash answer")
    bot.event(mention(QUESTION, ts="40.000002", channel="D_PAIR2", user=ALLOWED_USER))  # members unknown
    answered(bot, "D_PAIR2")
    assert RESTRICTED not in json.dumps([c.body for c in bot.slack.recorded()])
    audiences = [a for _, a in bot.service.audiences]
    assert Audience(channel="G_MPIM", user=ALLOWED_USER,
                    members=frozenset({ALLOWED_USER, "U_COLLEAGUE"})) in audiences
    assert Audience(channel="D_PAIR2", user=ALLOWED_USER) in audiences


def test_a_dm_event_in_the_bots_own_dm_is_the_users(bot: Bot) -> None:
    bot.slack.members["D_OWN"] = [ALLOWED_USER, BOT_USER_ID]
    bot.event(mention(QUESTION, ts="41.000001", channel="D_OWN", user=ALLOWED_USER))  # no channel_type
    assert RESTRICTED in answered(bot, "D_OWN")
    assert bot.service.audiences[0][1] == Audience(channel="D_OWN", user=ALLOWED_USER, is_dm=True)
