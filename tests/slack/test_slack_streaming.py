"""LLM answers streamed into Slack: the real bolt app and slack_sdk client against the fake Slack
Web API, the real LLM answerer against the fake OpenAI-compatible server (both on 127.0.0.1).

What is asserted: only verified text is ever streamed, the final message is the verified answer
with its sources and buttons (or the extractive one with its note), workspaces without
streaming get chat.update drafts (asked once, remembered), and drafts are throttled."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fake_llm import FakeLLM, streamed
from fakeslack import FakeSlack
from slackkit import Bot, all_text, mention, start_bot
from slack_sdk import WebClient
from test_llm import HITS, llm

from assistant.access import Audience
from assistant.answering.llm import UNAVAILABLE_NOTE
from assistant.models import Answer
from assistant.slack import blocks, streaming

pytest_plugins = ["fake_llm_fixtures"]

REPLY = ("Partners from ten regions attended the kick-off meeting in Kemi [3]. "
         "Bees make honey in Kemi. "  # uncited: must never reach Slack
         "It took place on 5-6 April 2017 in Kemi, Finland [1].")
FIRST = "Partners from ten regions attended the kick-off meeting in Kemi [1]."


@dataclass
class LLMService:
    """The real LLM answerer over fixed hits, behind the service's ask / ask_streaming."""

    fake: FakeLLM
    drafts: list[str] = field(default_factory=list)

    def ask(self, question: str, *, history: Sequence[str] = (), k: int | None = None,
            id: str | None = None, audience: Audience | None = None) -> Answer:
        return llm(self.fake).answer(question, HITS, id=id)

    def ask_streaming(self, question: str, *, on_draft: Any, history: Sequence[str] = (),
                      k: int | None = None, id: str | None = None,
                      audience: Audience | None = None) -> Answer:
        def record(text: str) -> None:
            self.drafts.append(text)
            on_draft(text)

        return llm(self.fake).answer(question, HITS, id=id, on_draft=record)


@dataclass
class DeletingSlack(FakeSlack):
    """The fake Web API with chat.delete, as Slack has."""

    def _answer(self, method: str, body: dict[str, Any], *rest: Any) -> dict[str, Any]:
        if method == "chat.delete":
            return {"ok": True, "channel": body.get("channel"), "ts": body.get("ts")}
        return super()._answer(method, body, *rest)


@dataclass
class NoStreamingSlack(FakeSlack):
    """A workspace that does not offer the streaming methods."""

    def _answer(self, method: str, body: dict[str, Any], *rest: Any) -> dict[str, Any]:
        if method.endswith("Stream"):
            return {"ok": False, "error": "unknown_method"}
        return super()._answer(method, body, *rest)


QUESTION = "When and where was the REMIX kick-off meeting held?"


def run_bot(tmp_path: Path, slack: FakeSlack, service: Any) -> Iterator[Bot]:
    try:
        yield from start_bot(tmp_path, slack, service)
    finally:
        slack.close()


@pytest.fixture
def streaming_bot(tmp_path: Path, fake_llm: FakeLLM) -> Iterator[Bot]:
    yield from run_bot(tmp_path, DeletingSlack(), LLMService(fake_llm))


@pytest.fixture
def plain_bot(tmp_path: Path, fake_llm: FakeLLM) -> Iterator[Bot]:
    yield from run_bot(tmp_path, NoStreamingSlack(), LLMService(fake_llm))


def answered(bot: Bot, n: int = 1) -> list[dict[str, Any]]:
    """The chat.update calls that carry a final answer (feedback buttons), once n exist."""
    def finals() -> list[dict[str, Any]]:
        return [u for u in bot.slack.of("chat.update")
                if any(b["type"] == "actions" for b in u.get("blocks") or [])]
    bot.slack.wait_for(lambda: len(finals()) >= n, what=f"{n} final answer(s)")
    bot.settle()
    return finals()


def test_answer_streams_verified_sentences_then_becomes_the_cited_answer(
        streaming_bot: Bot, fake_llm: FakeLLM) -> None:
    fake_llm.script(streamed(REPLY, pause=0.01))
    streaming_bot.event(mention(QUESTION, ts="10.000001"))
    (final,) = answered(streaming_bot)
    slack = streaming_bot.slack

    (start,) = slack.of("chat.startStream")
    assert start["thread_ts"] == "10.000001" and start["channel"] == "C1"
    assert start["recipient_user_id"] == "U1" and start["recipient_team_id"] == "T1"
    (stream_ts, parts), = slack.streams.items()
    shown = "".join(parts)
    assert shown.startswith(streaming.as_markdown(FIRST))
    assert "Bees" not in shown and "Bees" not in " ".join(streaming_bot.service.drafts)
    assert slack.of("chat.stopStream")[0]["ts"] == stream_ts
    # the streamed message is replaced by the verified answer with sources and buttons
    assert final["ts"] == stream_ts
    text = all_text(final["blocks"])
    assert FIRST in text and "Finland [2]." in text and "Bees" not in text
    assert "*Sources:*" in text and "[1] Budget — p. 4" in text
    # the placeholder made way for the stream
    placeholder = slack.of("chat.postMessage")[0]
    assert placeholder["text"] == blocks.WORKING_TEXT
    (deleted,) = slack.of("chat.delete")
    assert deleted["ts"] == next(c.result["ts"] for c in slack.recorded()
                                 if c.method == "chat.postMessage")


def test_llm_failing_mid_stream_ends_with_the_extractive_answer_and_its_note(
        streaming_bot: Bot, fake_llm: FakeLLM) -> None:
    fake_llm.script(streamed(REPLY[:90], done=False))
    streaming_bot.event(mention(QUESTION, ts="11.000001"))
    (final,) = answered(streaming_bot)
    (stream_ts, parts), = streaming_bot.slack.streams.items()
    assert "".join(parts) == streaming.as_markdown(FIRST)  # the draft that was verified
    assert final["ts"] == stream_ts  # ... replaced by the fallback
    text = all_text(final["blocks"])
    assert UNAVAILABLE_NOTE.replace("(", "").split(":")[0] in text
    assert "Kemi" in text and "*Sources:*" in text


def test_workspace_without_streaming_gets_placeholder_drafts_and_is_asked_once(
        plain_bot: Bot, fake_llm: FakeLLM) -> None:
    fake_llm.default = streamed(REPLY)  # both questions
    plain_bot.event(mention(QUESTION, ts="12.000001"))
    answered(plain_bot, 1)
    plain_bot.event(mention(QUESTION, ts="12.000009"))
    finals = answered(plain_bot, 2)
    slack = plain_bot.slack
    assert slack.methods().count("chat.startStream") == 1  # unknown_method: remembered
    placeholders = [c.result["ts"] for c in slack.recorded() if c.method == "chat.postMessage"]
    drafts = [u for u in slack.of("chat.update") if streaming.DRAFT_NOTE in all_text(u["blocks"])]
    assert drafts and all(d["ts"] in placeholders for d in drafts)
    assert all("Bees" not in all_text(d["blocks"]) for d in drafts)
    assert [f["ts"] for f in finals] == placeholders  # each answer replaced its placeholder
    assert all(FIRST in all_text(f["blocks"]) for f in finals)


def test_extractive_answers_arrive_at_once_without_streaming(bot: Bot) -> None:
    bot.event(mention("When did Phase 1 of the REMIX project end?", ts="13.000001"))
    answered(bot)
    assert not [m for m in bot.slack.methods() if "Stream" in m]
    assert [m for m in bot.slack.methods() if m == "chat.update"] == ["chat.update"]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_drafts_are_sent_at_most_once_per_interval(slack: FakeSlack) -> None:
    client = WebClient(token=slack.token, base_url=slack.api_url)
    clock = Clock()
    delivery = streaming.DraftDelivery(client=client, channel="D1", thread_ts="1.0",
                                       placeholder=None, support=streaming.StreamSupport(),
                                       clock=clock, min_interval=1.0)
    for t, text in ((0.0, "A [1]."), (0.3, "A [1]. B [1]."), (0.6, "A [1]. B [1]. C [2]."),
                    (1.2, "A [1]. B [1]. C [2]. D [2].")):
        clock.now = t
        delivery.draft(text)
    assert slack.methods().count("chat.startStream") == 1
    (append,) = slack.of("chat.appendStream")  # the three later drafts in one call
    assert append["markdown_text"] == streaming.as_markdown(" B [1]. C [2]. D [2].")
    assert "".join(slack.streams[delivery.stream_ts or ""]) == streaming.as_markdown(
        "A [1]. B [1]. C [2]. D [2].")
    assert "recipient_user_id" not in slack.of("chat.startStream")[0]  # a DM needs none
