"""End-to-end: signed HTTP requests -> real bolt app -> fake Slack Web API, no Slack involved."""

from __future__ import annotations

import io
import json
import threading
import time
from typing import Any

from fakeslack import BOT_ID, BOT_USER_ID
from slackkit import Bot, all_text, long_answer, mention, message

from assistant.access import PUBLIC, Audience
from assistant.slack import blocks


def answer_updates(bot: Bot, channel: str = "C1") -> list[dict[str, Any]]:
    return [c for c in bot.slack.of("chat.update") if c["channel"] == channel]


def wait_answer(bot: Bot, n: int = 1, channel: str = "C1") -> dict[str, Any]:
    bot.slack.wait_for(lambda: len(answer_updates(bot, channel)) >= n, what=f"{n} answer(s)")
    return answer_updates(bot, channel)[n - 1]


def button_value(msg: dict[str, Any], action_id: str) -> str:
    for b in msg["blocks"]:
        for e in b.get("elements", []):
            if e.get("action_id") == action_id:
                return e["value"]
    raise AssertionError(f"no {action_id} button in {msg['blocks']}")


def test_mention_is_answered_in_thread_with_fact_and_source(bot: Bot) -> None:
    r = bot.event(mention("When did Phase 1 of the REMIX project end?", ts="100.000001"))
    assert r.status == 200
    update = wait_answer(bot)
    bot.settle()

    placeholder = bot.slack.of("chat.postMessage")[0]
    assert placeholder["thread_ts"] == "100.000001" and placeholder["text"] == blocks.WORKING_TEXT
    assert update["ts"]  # the placeholder message was replaced by the answer
    assert "June 2019" in update["text"] and "[1]" in update["text"]
    text = all_text(update["blocks"])
    assert "June 2019" in text
    assert "[1] <https://example.org/remix/phase1|REMIX Phase 1 achievements> — News" in text
    assert [b["type"] for b in update["blocks"]][-1] == "actions"
    # working indicator on the question, removed afterwards
    assert bot.slack.of("reactions.add")[0]["timestamp"] == "100.000001"
    assert bot.slack.of("reactions.remove")[0]["name"] == "hourglass_flowing_sand"
    assert bot.service.calls == [
        {"question": "When did Phase 1 of the REMIX project end?", "history": [],
         "id": button_value(update, blocks.ACTION_HELPFUL),
         "audience": Audience(channel="C1", user="U1", is_dm=False)}
    ]


def test_direct_message_is_answered_in_its_thread(bot: Bot) -> None:
    bot.event(message("Who leads the mining industry partnership?", ts="200.000001",
                      channel="D1", channel_type="im"))
    update = wait_answer(bot, channel="D1")
    assert "North Karelia" in update["text"]
    # unlinked source (no URL) with page and section
    assert "[1] S3 Mining partnership monitoring report — p. 3 / Leadership" in all_text(update["blocks"])
    assert bot.slack.of("chat.postMessage")[0]["thread_ts"] == "200.000001"


def test_thread_follow_up_without_mention_gets_history(bot: Bot) -> None:
    bot.event(mention("When did Phase 1 of the REMIX project end?", ts="300.000001"))
    wait_answer(bot)
    bot.settle()
    # follow-up in the thread, no mention
    bot.event(message("and how many EU regions took part?", ts="300.000005", thread_ts="300.000001"))
    second = wait_answer(bot, 2)
    assert "10 EU regions" in second["text"]
    assert bot.slack.of("chat.postMessage")[-1]["thread_ts"] == "300.000001"
    assert bot.service.calls[-1]["history"] == ["When did Phase 1 of the REMIX project end?"]
    assert bot.slack.of("conversations.replies") == []  # known from memory, no API call

    # chatter in a channel outside any thread, and in a thread the bot is not in: ignored
    bot.event(message("lunch anyone?", ts="301.000001"))
    bot.event(message("unrelated reply", ts="302.000009", thread_ts="302.000001"))
    bot.settle()
    assert len(bot.service.calls) == 2
    assert len(bot.slack.of("conversations.replies")) == 1  # asked Slack once about 302


def test_follow_up_after_restart_recovers_thread_from_slack(bot: Bot) -> None:
    bot.slack.replies[("C1", "400.000001")] = [
        {"type": "message", "user": "U1", "ts": "400.000001",
         "text": f"<@{BOT_USER_ID}> When did Phase 1 of the REMIX project end?"},
        {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "ts": "400.000002", "text": "June 2019 [1]"},
        {"type": "message", "user": "U1", "ts": "400.000003", "text": "how many regions?"},
    ]
    bot.event(message("how many regions?", ts="400.000003", thread_ts="400.000001"))
    update = wait_answer(bot)
    assert "10 EU regions" in update["text"]
    assert bot.service.calls[0]["history"] == ["When did Phase 1 of the REMIX project end?"]


def test_slash_command_acks_fast_and_answers_via_response_url(bot: Bot) -> None:
    gate = threading.Event()
    original = bot.service.ask

    def slow_ask(*a: Any, **kw: Any) -> Any:
        gate.wait(10)  # the answer is not ready until the test says so
        return original(*a, **kw)

    bot.service.ask = slow_ask  # type: ignore[method-assign]
    r = bot.command("When did Phase 1 of the REMIX project end?", response="slash1")
    assert r.status == 200 and r.elapsed < 3.0
    assert json.loads(r.body)["response_type"] == "ephemeral"
    assert json.loads(r.body)["text"] == blocks.WORKING_TEXT
    assert bot.slack.of("response:slash1") == []  # acked before the answer exists
    gate.set()

    reply = bot.slack.wait_for(lambda: bot.slack.of("response:slash1"), what="slash answer")[0]
    assert reply["response_type"] == "ephemeral"
    assert "June 2019" in reply["text"]
    assert "*Q:* When did Phase 1" in all_text(reply["blocks"])
    key = button_value(reply, blocks.ACTION_SHARE)

    # "Share in channel": posted in_channel through the response_url, private copy deleted
    bot.action({
        "type": "block_actions", "user": {"id": "U1"}, "team": {"id": "T1"},
        "channel": {"id": "C1"}, "container": {"type": "message", "is_ephemeral": True},
        "response_url": bot.slack.response_url("share1"), "trigger_id": "1.2",
        "actions": [{"action_id": blocks.ACTION_SHARE, "block_id": "answer_actions",
                     "value": key, "type": "button"}],
    })
    posts = bot.slack.wait_for(lambda: len(bot.slack.of("response:share1")) >= 2 and bot.slack.of("response:share1"),
                               what="share")
    assert posts[0]["response_type"] == "in_channel" and "June 2019" in posts[0]["text"]
    assert "<@U1> asked:" in all_text(posts[0]["blocks"])
    assert posts[1] == {"delete_original": True}


def test_slash_help_and_empty_text_explain_usage(bot: Bot) -> None:
    for text in ("help", ""):
        r = bot.command(text)
        body = json.loads(r.body)
        assert r.status == 200
        assert "/remix help" in all_text(body["blocks"]) and "/remix QUESTION" in body["text"]
    bot.settle()
    assert bot.service.calls == [] and bot.slack.of("response:cmd") == []


def test_feedback_click_is_stored_and_exported(bot: Bot) -> None:
    bot.event(mention("When did Phase 1 of the REMIX project end?", ts="500.000001"))
    update = wait_answer(bot)
    key = button_value(update, blocks.ACTION_NOT_HELPFUL)
    assert len(key) < 2000
    r = bot.action({
        "type": "block_actions", "user": {"id": "U7"}, "team": {"id": "T1"},
        "channel": {"id": "C1"}, "trigger_id": "1.2",
        "container": {"type": "message", "message_ts": update["ts"], "channel_id": "C1",
                      "is_ephemeral": False, "thread_ts": "500.000001"},
        "message": {"ts": update["ts"], "thread_ts": "500.000001", "text": update["text"]},
        "response_url": bot.slack.response_url("fb1"),
        "actions": [{"action_id": blocks.ACTION_NOT_HELPFUL, "block_id": "answer_actions",
                     "value": key, "type": "button"}],
    })
    assert r.status == 200
    thanks = bot.slack.wait_for(lambda: bot.slack.of("chat.postEphemeral"), what="thanks")[0]
    assert thanks["user"] == "U7" and thanks["text"] == blocks.THANKS_TEXT
    assert thanks["thread_ts"] == "500.000001"

    rows = bot.feedback.rows()
    assert len(rows) == 1
    row = rows[0]
    assert row["verdict"] == "not_helpful" and row["user"] == "U7" and row["channel"] == "C1"
    assert row["question"] == "When did Phase 1 of the REMIX project end?"
    assert "June 2019" in row["answer_text"]
    assert row["sources"][0]["doc"] == "remix-news-phase1-achievements.txt"

    out = io.StringIO()
    assert bot.feedback.export_qa_jsonl(out, visibility={row["sources"][0]["doc"]: PUBLIC}) == 1
    line = json.loads(out.getvalue())
    assert line["question"] == row["question"] and line["must"] == []
    assert line["answerable"] is True and line["verdict"] == "not_helpful"
    assert line["answer"] == row["answer_text"] and line["sources"][0]["doc"] == row["sources"][0]["doc"]


def test_retries_and_duplicate_deliveries_are_answered_once(bot: Bot) -> None:
    ev = mention("When did Phase 1 of the REMIX project end?", ts="600.000001")
    assert bot.event(ev, event_id="EvDUP").status == 200
    wait_answer(bot)
    assert bot.event(ev, event_id="EvDUP").status == 200  # duplicate delivery
    assert bot.event(ev, event_id="EvDUP", headers={"X-Slack-Retry-Num": "1",
                                                   "X-Slack-Retry-Reason": "http_timeout"}).status == 200
    # a retry whose first delivery we never saw is also dropped (acked)
    assert bot.event(mention("How many EU regions?", ts="601.000001"), event_id="EvNEW",
                     headers={"X-Slack-Retry-Num": "2"}).status == 200
    # the same message also arrives as message.channels (different event id): no second answer
    bot.event(message(ev["text"], ts="600.000001"))
    # a DM that Slack delivers both as message.im and app_mention: one answer
    dm = message(f"<@{BOT_USER_ID}> how many EU regions?", ts="602.000001", channel="D1", channel_type="im")
    bot.event(dm)
    bot.event({**mention("how many EU regions?", ts="602.000001", channel="D1")})
    bot.settle()
    assert len(bot.service.calls) == 2
    assert len(answer_updates(bot)) == 1 and len(answer_updates(bot, "D1")) == 1
    assert len(bot.slack.of("chat.postMessage")) == 2


def test_forged_signature_and_stale_timestamp_are_rejected(bot: Bot) -> None:
    ev = mention("When did Phase 1 of the REMIX project end?", ts="700.000001")
    forged = bot.event(ev, signature="v0=" + "0" * 64)
    stale = bot.event(ev, timestamp=int(time.time()) - 6 * 60)
    other_secret = Bot(url=bot.url, slack=bot.slack, service=bot.service, feedback=bot.feedback,
                       executor=bot.executor, secret="not-the-secret").command("hello")
    assert (forged.status, stale.status, other_secret.status) == (401, 401, 401)
    bot.settle()
    assert bot.slack.methods() == ["auth.test"] and bot.service.calls == []


def test_bot_messages_are_ignored(bot: Bot) -> None:
    replies = [
        bot.event(message("hi from another bot", ts="800.000001", channel="D1", channel_type="im",
                          user=None, bot_id="B_OTHER", subtype="bot_message")),
        bot.event(message("my own echo", ts="800.000002", channel="D1", channel_type="im",
                          user=BOT_USER_ID, bot_id=BOT_ID)),
        bot.event(message("my own user id", ts="800.000006", channel="D1", channel_type="im",
                          user=BOT_USER_ID)),
        bot.event(message("app bot with user", ts="800.000003", channel="D1", channel_type="im",
                          user="U_OTHERBOT", bot_id="B_OTHER")),
        bot.event({**mention("question from a bot", ts="800.000004"), "bot_id": "B_OTHER"}),
        bot.event(message("edited", ts="800.000005", channel="D1", channel_type="im",
                          subtype="message_changed")),
    ]
    assert [r.status for r in replies] == [200] * len(replies)  # acked, so Slack won't retry
    bot.settle()
    assert bot.service.calls == []
    assert bot.slack.methods() == ["auth.test"]


def test_long_answer_is_split_within_block_kit_limits(bot: Bot) -> None:
    bot.event(mention("give me the long answer", ts="900.000001"))
    update = wait_answer(bot)
    sections = [b for b in update["blocks"] if b["type"] == "section"]
    assert len(sections) > 1 and len(update["blocks"]) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in sections)
    contexts = [b for b in update["blocks"] if b["type"] == "context"]
    assert all(len(b["elements"]) <= 10 for b in contexts)
    expected = long_answer("q").text
    joined = " ".join(b["text"]["text"] for b in sections)
    assert joined.split() == expected.split()  # all text present, nothing duplicated
    assert "…and 20 more" in all_text(update["blocks"])
    assert 0 < len(update["text"]) <= 40000


def test_exception_in_service_posts_apology_and_bot_keeps_serving(bot: Bot, caplog: Any) -> None:
    bot.event(mention("boom", ts="1000.000001"))
    apology = wait_answer(bot)
    assert apology["text"] == blocks.APOLOGY_TEXT
    assert any(r.exc_info and "index exploded" in str(r.exc_info[1]) for r in caplog.records)
    bot.event(mention("When did Phase 1 of the REMIX project end?", ts="1001.000001"))
    assert "June 2019" in wait_answer(bot, 2)["text"]


def test_rate_limited_web_api_call_is_retried_once(bot: Bot) -> None:
    bot.slack.fail_next("chat.update", 429, {"Retry-After": "0"})
    bot.event(mention("When did Phase 1 of the REMIX project end?", ts="1100.000001"))
    update = wait_answer(bot)
    bot.settle()
    assert "June 2019" in update["text"]
    assert bot.slack.methods().count("chat.update!429") == 1
    assert len(answer_updates(bot)) == 1


def test_not_found_says_so_and_lists_nearest_sources(bot: Bot) -> None:
    bot.event(mention("Tell me about beekeeping honey", ts="1200.000001"))
    update = wait_answer(bot)
    text = all_text(update["blocks"])
    assert "could not find" in text and "*Nearest sources:*" in text and "[2]" in text


def test_app_home_opened_publishes_home_view(bot: Bot) -> None:
    bot.event({"type": "app_home_opened", "user": "U9", "channel": "D9", "tab": "home",
               "event_ts": "1.1"})
    call = bot.slack.wait_for(lambda: bot.slack.of("views.publish"), what="views.publish")[0]
    assert call["user_id"] == "U9" and call["view"]["type"] == "home"
    assert "/remix help" in all_text(call["view"]["blocks"])


def test_url_verification_challenge(bot: Bot) -> None:
    r = bot.post(json.dumps({"type": "url_verification", "challenge": "abc123", "token": "t"}),
                 content_type="application/json")
    assert r.status == 200 and json.loads(r.body)["challenge"] == "abc123"


def test_bare_mention_gets_usage_not_an_answer(bot: Bot) -> None:
    bot.event({**mention("", ts="1300.000001")})
    post = bot.slack.wait_for(lambda: bot.slack.of("chat.postMessage"), what="usage")[0]
    bot.settle()
    assert post["thread_ts"] == "1300.000001" and "/remix QUESTION" in post["text"]
    assert bot.service.calls == []


def test_events_are_acked_before_the_answer_is_ready(bot: Bot) -> None:
    gate = threading.Event()
    original = bot.service.ask
    bot.service.ask = lambda *a, **kw: (gate.wait(10), original(*a, **kw))[1]  # type: ignore[method-assign]
    r = bot.event(mention("When did Phase 1 of the REMIX project end?", ts="1400.000001"))
    assert r.status == 200 and r.elapsed < 1.0
    # the placeholder is up while the service is still working; other requests are served
    bot.slack.wait_for(lambda: bot.slack.of("chat.postMessage"), what="placeholder")
    bot.event({"type": "app_home_opened", "user": "U2", "channel": "D2", "tab": "home", "event_ts": "1.2"})
    bot.slack.wait_for(lambda: bot.slack.of("views.publish"), what="home while answering")
    assert answer_updates(bot) == []
    gate.set()
    assert "June 2019" in wait_answer(bot)["text"]
