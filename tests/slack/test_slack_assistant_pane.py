"""The "Agents & AI Apps" pane: signed assistant-thread events -> real bolt app (with bolt's
Assistant middleware) -> the fake Web API that records every call."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import docx
import pytest
from slackkit import ALLOWED_CHANNEL, ALLOWED_USER, RESTRICTED, Bot, all_text, message

from assistant.access import Audience
from assistant.slack import blocks, pane

PANE = "D_PANE"  # the user's DM with the bot, where Slack opens assistant threads
THREAD = "500.000001"


def _thread_event(kind: str, *, viewing: str | None, user: str = "U1", channel: str = PANE,
                  thread_ts: str = THREAD) -> dict[str, Any]:
    context = {"channel_id": viewing, "team_id": "T1", "enterprise_id": None} if viewing else {}
    return {"type": kind, "event_ts": f"{time.time():.6f}",
            "assistant_thread": {"user_id": user, "context": context, "channel_id": channel,
                                 "thread_ts": thread_ts}}


def start_thread(bot: Bot, *, viewing: str | None = "C1", user: str = "U1",
                 thread_ts: str = THREAD) -> None:
    assert bot.event(_thread_event("assistant_thread_started", viewing=viewing, user=user,
                                   thread_ts=thread_ts)).status == 200
    bot.slack.wait_for(lambda: bot.slack.of("assistant.threads.setSuggestedPrompts"), what="prompts")
    bot.settle()


def ask_in_pane(bot: Bot, text: str, *, ts: str, user: str = "U1",
                thread_ts: str = THREAD) -> dict[str, Any]:
    """Send a message in the assistant thread; the bot's next post there."""
    before = len(posts(bot, thread_ts))
    assert bot.event(message(text, ts=ts, channel=PANE, channel_type="im", user=user,
                             thread_ts=thread_ts)).status == 200
    bot.slack.wait_for(lambda: len(posts(bot, thread_ts)) > before, what="a reply in the pane")
    bot.settle()
    return posts(bot, thread_ts)[before]


def pick(call: dict[str, Any], field: str = "status") -> dict[str, Any]:
    """The fields that say where and what (the client adds e.g. team_id)."""
    return {k: call.get(k) for k in ("channel_id", "thread_ts", field)}


def posts(bot: Bot, thread_ts: str = THREAD) -> list[dict[str, Any]]:
    return [c for c in bot.slack.of("chat.postMessage")
            if c.get("channel") == PANE and c.get("thread_ts") == thread_ts]


def test_thread_started_greets_and_suggests_the_prompts(bot: Bot) -> None:
    start_thread(bot)

    greeting = posts(bot)
    assert len(greeting) == 1 and "REMIX" in greeting[0]["text"]
    prompts = bot.slack.of("assistant.threads.setSuggestedPrompts")
    assert len(prompts) == 1
    assert prompts[0]["channel_id"] == PANE and prompts[0]["thread_ts"] == THREAD
    assert [p["message"] for p in prompts[0]["prompts"]] == [
        "What is REMIX?",
        "Which regions take part in the Mining industry partnership?",
        "Draft the past-events section",
        "What events are planned?",
    ]
    # the viewed channel travels with the greeting as bolt's thread-context metadata
    assert greeting[0]["metadata"]["event_payload"]["channel_id"] == "C1"
    assert bot.service.calls == []


def test_question_in_pane_sets_status_title_and_answers_with_source(bot: Bot) -> None:
    start_thread(bot)
    reply = ask_in_pane(bot, "Who leads the mining industry partnership?", ts="500.000010")

    assert "North Karelia" in reply["text"]
    text = all_text(reply["blocks"])
    assert "[1] S3 Mining partnership monitoring report — p. 3 / Leadership" in text
    assert reply["blocks"][-1]["type"] == "actions"  # 👍 / 👎 as under every answer
    status = bot.slack.of("assistant.threads.setStatus")
    assert status and pick(status[0]) == {"channel_id": PANE, "thread_ts": THREAD,
                                          "status": pane.ANSWER_STATUS}
    titles = bot.slack.of("assistant.threads.setTitle")
    assert [pick(t, "title") for t in titles] == [
        {"channel_id": PANE, "thread_ts": THREAD, "title": "Who leads the mining industry partnership?"}]
    # status first, then the answer: the order a person sees
    methods = [m for m in bot.slack.methods() if m in ("assistant.threads.setStatus", "chat.postMessage")]
    assert methods[-2:] == ["assistant.threads.setStatus", "chat.postMessage"]
    assert bot.service.calls[0]["audience"] == Audience(channel=PANE, user="U1", is_dm=True)
    assert bot.service.calls[0]["history"] == []


def test_follow_up_in_pane_gets_history_and_keeps_the_first_title(bot: Bot) -> None:
    start_thread(bot)
    ask_in_pane(bot, "When did Phase 1 of the REMIX project end?", ts="500.000010")
    second = ask_in_pane(bot, "and how many EU regions took part?", ts="500.000020")

    assert "10 EU regions" in second["text"]
    assert bot.service.calls[-1]["history"] == ["When did Phase 1 of the REMIX project end?"]
    assert [t["title"] for t in bot.slack.of("assistant.threads.setTitle")] == [
        "When did Phase 1 of the REMIX project end?"]


def test_context_change_is_kept(bot: Bot) -> None:
    start_thread(bot, viewing="C1")
    assert bot.event(_thread_event("assistant_thread_context_changed", viewing="C_OTHER")).status == 200
    reply = ask_in_pane(bot, "When did Phase 1 of the REMIX project end?", ts="500.000010")

    assert reply["metadata"]["event_type"] == "assistant_thread_context"
    assert reply["metadata"]["event_payload"]["channel_id"] == "C_OTHER"


@pytest.mark.parametrize("user, viewing, allowed", [
    ("U1", ALLOWED_CHANNEL, False),  # viewing the allowed channel grants nothing in the pane
    ("U1", None, False),
    (ALLOWED_USER, "C1", True),  # the pane is the user's DM: the user's access decides
])
def test_restricted_content_reaches_the_pane_only_for_its_audience(
        bot: Bot, user: str, viewing: str | None, allowed: bool) -> None:
    start_thread(bot, viewing=viewing, user=user)
    reply = ask_in_pane(bot, "Who holds the confidential budget reserve of the partnership?",
                        ts="500.000010", user=user)

    seen = reply["text"] + all_text(reply["blocks"])
    assert (RESTRICTED in seen) is allowed
    assert bot.service.audiences == [("ask", Audience(channel=PANE, user=user, is_dm=True))]


def test_draft_request_in_pane_posts_the_draft_into_the_thread(bot: Bot) -> None:
    start_thread(bot)
    bot.event(message("Draft the past-events section", ts="500.000010", channel=PANE,
                      channel_type="im", user="U1", thread_ts=THREAD))
    bot.slack.wait_for(lambda: bot.slack.of("files.completeUploadExternal"), what="the .docx")
    bot.settle()

    drafted = posts(bot)[1:]  # after the greeting
    assert drafted and drafted[0]["text"].startswith("*Past events*")
    assert "REMIX kick-off meeting" in all_text(drafted[0]["blocks"])
    assert RESTRICTED not in "".join(d["text"] + all_text(d["blocks"]) for d in drafted)
    upload = bot.slack.of("files.completeUploadExternal")[0]
    assert upload["channel_id"] == PANE and upload["thread_ts"] == THREAD
    body = next(iter(bot.slack.uploads.values()))
    assert "REMIX kick-off meeting" in "\n".join(p.text for p in docx.Document(io.BytesIO(body)).paragraphs)
    assert ("draft", Audience(channel=PANE, user="U1", is_dm=True)) in bot.service.audiences
    assert bot.service.calls == []  # a draft, not a question
    assert bot.slack.of("assistant.threads.setStatus")[0]["status"] == pane.DRAFT_STATUS


def test_events_request_in_pane_lists_the_events(bot: Bot) -> None:
    start_thread(bot)
    reply = ask_in_pane(bot, "events 2017-01 2017-12", ts="500.000010")

    assert "REMIX kick-off meeting" in all_text(reply["blocks"]) and "Kemi" in all_text(reply["blocks"])
    assert bot.service.calls == []


@pytest.mark.parametrize("text", ["hi", "Hello!", "?", "help", "hola", "Moi", "hallo"])
def test_greetings_in_the_pane_get_the_help_card(bot: Bot, text: str) -> None:
    start_thread(bot)
    reply = ask_in_pane(bot, text, ts="500.000010")

    assert reply["text"].startswith("Remix Assistant help")
    assert "/remix sources" in all_text(reply["blocks"])
    assert bot.service.calls == []


def test_apology_replaces_the_status_when_answering_fails(bot: Bot) -> None:
    start_thread(bot)
    reply = ask_in_pane(bot, "boom", ts="500.000010")

    assert reply["text"] == blocks.APOLOGY_TEXT


def test_thread_reply_in_a_plain_dm_is_answered_once_by_the_dm_listener(bot: Bot) -> None:
    """A threaded DM that no assistant thread started (an ordinary DM answer's thread, or a
    pane thread from before a restart) is answered by the ordinary DM path, exactly once."""
    bot.event(message("When did Phase 1 of the REMIX project end?", ts="600.000001",
                      channel="D9", channel_type="im"))
    bot.slack.wait_for(lambda: bot.slack.of("chat.update"), what="first answer")
    bot.settle()
    bot.event(message("and how many EU regions took part?", ts="600.000005", channel="D9",
                      channel_type="im", thread_ts="600.000001"))
    bot.slack.wait_for(lambda: len(bot.slack.of("chat.update")) >= 2, what="follow-up answer")
    bot.settle()

    updates = bot.slack.of("chat.update")
    assert len(updates) == 2 and "10 EU regions" in updates[1]["text"]
    assert [c["question"] for c in bot.service.calls] == [
        "When did Phase 1 of the REMIX project end?", "and how many EU regions took part?"]
    assert bot.service.calls[1]["history"] == ["When did Phase 1 of the REMIX project end?"]
    assert bot.slack.of("assistant.threads.setStatus") == []


def test_plain_dm_is_answered_exactly_once_while_a_pane_thread_is_open(bot: Bot) -> None:
    start_thread(bot)
    bot.event(message("Who leads the mining industry partnership?", ts="700.000001",
                      channel=PANE, channel_type="im"))
    bot.slack.wait_for(lambda: bot.slack.of("chat.update"), what="the DM answer")
    bot.settle()
    time.sleep(0.2)  # any second answer would have been posted by now
    bot.settle()

    assert len(bot.service.calls) == 1
    assert len([c for c in bot.slack.of("chat.update") if c["channel"] == PANE]) == 1
    assert [p for p in bot.slack.of("chat.postMessage") if p.get("thread_ts") == "700.000001"] \
        and posts(bot) == posts(bot)[:1]  # nothing but the greeting in the pane thread
    assert bot.slack.of("assistant.threads.setStatus") == []


def test_redelivered_pane_message_is_answered_once(bot: Bot) -> None:
    start_thread(bot)
    event = message("Who leads the mining industry partnership?", ts="500.000010", channel=PANE,
                    channel_type="im", user="U1", thread_ts=THREAD)
    bot.event(event, event_id="EvPANE1")
    bot.event(event, event_id="EvPANE2")  # the same message under another event id
    bot.slack.wait_for(lambda: len(posts(bot)) >= 2, what="the answer")
    bot.settle()

    assert len(bot.service.calls) == 1 and len(posts(bot)) == 2


def test_bot_messages_and_files_in_a_pane_thread_are_not_questions(bot: Bot) -> None:
    start_thread(bot)
    bot.event(message("I am a bot", ts="500.000010", channel=PANE, channel_type="im", user=None,
                      thread_ts=THREAD, bot_id="B_OTHER"))
    file = bot.slack.add_file("notes.txt", b"Title: Notes\n\nSome notes.\n")
    bot.event(message("", ts="500.000011", channel=PANE, channel_type="im", user="U1",
                      thread_ts=THREAD, subtype="file_share", files=[file]))
    bot.slack.wait_for(lambda: len(posts(bot)) >= 2, what="the upload refusal")
    bot.settle()

    assert bot.service.calls == [] and bot.service.documents == []
    assert "admin" in posts(bot)[-1]["text"].lower()  # the ordinary upload path answered


def test_manifest_declares_the_pane_its_scopes_events_and_prompts() -> None:
    yaml = pytest.importorskip("yaml")  # installed with huggingface_hub; the manifest is YAML
    manifest = yaml.safe_load((Path(__file__).parents[2] / "slack" / "manifest.yml").read_text("utf-8"))

    view = manifest["features"]["assistant_view"]
    assert view["assistant_description"].strip()
    assert [p["message"] for p in view["suggested_prompts"]] == list(pane.SUGGESTED_PROMPTS)
    assert {"assistant:write", "im:history", "chat:write"} <= set(manifest["oauth_config"]["scopes"]["bot"])
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {"assistant_thread_started", "assistant_thread_context_changed", "message.im"} <= events
    hint = manifest["features"]["slash_commands"][0]["usage_hint"]
    for sub in ("regions [ROLE]", "glossary TERM", "sources"):
        assert sub in hint


def test_pane_threads_are_bounded_and_keep_only_real_contexts() -> None:
    threads = pane.PaneThreads(max_threads=2)
    threads.open("D1", "1.0", {"channel_id": "C1"})
    threads.open("D1", "2.0", {})  # opened while viewing no channel
    assert threads.find(channel_id="D1", thread_ts="2.0") is None and ("D1", "2.0") in threads
    threads.save(channel_id="D1", thread_ts="2.0", context={"channel_id": "C2"})
    assert threads.find(channel_id="D1", thread_ts="2.0")["channel_id"] == "C2"
    threads.open("D1", "3.0")
    assert ("D1", "1.0") not in threads and ("D1", "3.0") in threads  # the oldest went
    assert threads.take_title(("D1", "3.0")) and not threads.take_title(("D1", "3.0"))
    assert pane.thread_title("word " * 40).endswith("…") and len(pane.thread_title("word " * 40)) == 80


def test_shutdown_closes_a_pane_answer_in_flight(bot: Bot) -> None:
    """A pane answer that cannot finish before shutdown says so in the thread; the late answer
    is then not posted over it."""
    from assistant.slack import inflight

    start_thread(bot)
    bot.service.delay = (1.0, 1.0)
    before = len(posts(bot))
    assert bot.event(message("Who leads the mining industry partnership?", ts="500.000090",
                             channel=PANE, channel_type="im", thread_ts=THREAD)).status == 200
    bot.slack.wait_for(lambda: bot.slack.of("assistant.threads.setStatus"), what="the status")
    assert inflight.ANSWERS.abandon(timeout=5) == 1
    bot.settle()
    texts = [p["text"] for p in posts(bot)[before:]]
    assert texts == [inflight.RESTARTED_TEXT]
    assert bot.slack.of("assistant.threads.setStatus")[-1]["status"] == ""
