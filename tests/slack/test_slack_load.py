"""Load: 20 simulated users, 200 requests, the real bolt app over HTTP (signed requests) and over
Socket Mode (bolt's real SocketModeHandler against the fake Socket Mode server), all on 127.0.0.1."""

from __future__ import annotations

import pytest
from slackkit import FakeService

from assistant.slack import blocks
from assistant.slack.fakeapi import Call
from assistant.slack.loadtest import Sent, run_load, tally

QUESTIONS = [f"echo q{i:04d}" for i in range(200)]


def echoes(question: str, text: str) -> bool:
    return f"answer to {question[5:]}" in text


@pytest.mark.parametrize(("transport", "concurrency"), [("http", 1), ("http", 4), ("socket", 4)])
def test_every_request_acked_and_answered_once_in_its_thread(transport: str, concurrency: int) -> None:
    service = FakeService(delay=(0.005, 0.02))
    report = run_load(service, users=20, requests=200, questions=QUESTIONS, check=echoes,
                      answer_concurrency=concurrency, timeout=120, transport=transport)  # type: ignore[arg-type]
    assert report.ok, report.summary() + f" {report.problems}"
    assert report.acked_in_time == 200 and report.ack_max_s < 3.0
    assert report.answered_once == 200 and report.mentions and report.commands
    assert report.latency_p50_s <= report.latency_p95_s
    assert len(service.calls) == 200  # each question asked once (no retries, no duplicates)


@pytest.mark.parametrize("transport", ["http", "socket"])
def test_failures_are_counted_not_hidden(transport: str) -> None:
    service = FakeService()
    report = run_load(service, users=3, requests=12, questions=["boom"], timeout=60,
                      transport=transport)  # type: ignore[arg-type]
    assert not report.ok and report.wrong == 12 and report.answered_once == 0
    assert report.acked_in_time == 12  # the bot acked every envelope even though answering failed


def test_tally_matches_answers_to_threads() -> None:
    sent = [Sent(0, "mention", "U", "C1", "1.1", "q"), Sent(1, "command", "U", "C1", "", "q")]
    calls = [
        Call("chat.postMessage", {"channel": "C1", "thread_ts": "1.1", "text": blocks.WORKING_TEXT}, {"ts": "9.1"}),
        Call("chat.update", {"channel": "C1", "ts": "9.1", "text": "a"}),
        Call("chat.update", {"channel": "C1", "ts": "9.1", "text": "again"}),  # duplicate
        Call("chat.update", {"channel": "C2", "ts": "9.1", "text": "elsewhere"}),  # misplaced
        Call("response:load-1", {"text": blocks.WORKING_TEXT}),
        Call("response:load-1", {"text": "b"}),
    ]
    t = tally(calls, sent)
    assert [c.body["text"] for c in t.answers[0]] == ["a", "again"]
    assert [c.body["text"] for c in t.answers[1]] == ["b"]
    assert t.misplaced == 1
