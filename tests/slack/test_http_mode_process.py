"""The real `remix-assistant slack --http` process: signed requests over real HTTP on 127.0.0.1.

The counterpart of ``test_socket_mode_process.py`` for HTTP mode: the CLI, the real service over
a small corpus, bolt's WSGI adapter behind the threaded server, and Slack's side faked at its
edges (signed Events API / slash-command requests, the fake Web API). Retries here carry
``X-Slack-Retry-Num: 1`` as Slack sends them; first deliveries carry no retry header at all.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from corpora import SMALL_CORPUS
from fake_llm import FakeLLM, Reply, completion
from fakeslack import FakeSlack
from machine import inotify_works
from slackkit import (SIGNING_SECRET, Bot, BotProcess, finished, mention, process_env, reactions,
                      thread_replies)

from assistant.slack import blocks
from assistant.slack.runner import EVENTS_PATH

KICKOFF = "Where was the REMIX kick-off meeting held?"


def start_http_bot(root: Path, slack: FakeSlack, **env: str) -> tuple[BotProcess, Bot]:
    """The bot process on a free port, and a client that signs requests like Slack."""
    bot = BotProcess.start(["--http", "--port", "0", "--index", str(root / "index")], cwd=root,
                           env=process_env(root, slack, SMALL_CORPUS, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                                           **env))
    try:
        port = bot.wait_log(r"Listening for Slack on http://127\.0\.0\.1:(\d+)" + EVENTS_PATH,
                            timeout=90).group(1)
    except AssertionError:
        bot.kill()
        raise
    return bot, Bot(url=f"http://127.0.0.1:{port}{EVENTS_PATH}", slack=slack, service=None,
                    feedback=None, executor=None)  # type: ignore[arg-type]


class HttpBot:
    """The module's bot process (started on first use, again if a test stopped it), with the
    fake Web API and a fake LLM that answers every question after ``llm`` says so."""

    def __init__(self, root: Path) -> None:
        self.root, self.slack, self.llm = root, FakeSlack(), FakeLLM().start()
        self.llm.default = completion("The kick-off meeting was held in Kemi [1].")
        self.bot: BotProcess | None = None
        self.client: Bot | None = None

    def running(self) -> tuple[BotProcess, Bot]:
        if self.bot is None or self.client is None or self.bot.proc.poll() is not None:
            self.bot, self.client = start_http_bot(self.root, self.slack,
                                                   ASSISTANT_LLM_BASE_URL=self.llm.url)
        return self.bot, self.client

    def close(self) -> None:
        if self.bot is not None:
            self.bot.kill()
        self.llm.stop()
        self.slack.close()


@pytest.fixture(scope="module")
def http_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpBot]:
    bots = HttpBot(tmp_path_factory.mktemp("http-bot"))
    yield bots
    bots.close()


def test_signed_first_delivery_answered_once_retry_dropped_forgery_refused(http_bot: HttpBot) -> None:
    bot, client = http_bot.running()
    slack = client.slack
    retry = client.event(mention(KICKOFF, ts="300.000001", channel="C_HTTP"), event_id="EvHTTPRETRY",
                         headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert retry.status == 200  # acknowledged so that Slack stops retrying...
    first = client.event(mention(KICKOFF, ts="301.000001", channel="C_HTTP"), event_id="EvHTTPFIRST")
    assert first.status == 200
    (answer,) = finished(slack, "C_HTTP", "301.000001")
    assert answer["updates"] == 1 and "Kemi" in str(answer["text"])
    bot.wait_log(r"Ignoring Slack retry 1 of event EvHTTPRETRY")
    assert thread_replies(slack, "C_HTTP", "300.000001") == []  # ...and not answered
    assert reactions(slack, "C_HTTP", "300.000001") == []

    forged = client.event(mention(KICKOFF, ts="302.000001", channel="C_HTTP"), signature="v0=" + "0" * 64)
    assert forged.status == 401

    reply = client.command(KICKOFF, response="http-slash", channel="C_HTTP")
    assert reply.status == 200 and json.loads(reply.body)["text"] == blocks.WORKING_TEXT
    answer_via_url = slack.wait_for(lambda: slack.of("response:http-slash"), timeout=20, what="slash")[0]
    assert "Kemi" in answer_via_url["text"]
    assert thread_replies(slack, "C_HTTP", "302.000001") == []


def test_sigterm_stops_listening_finishes_the_answer_in_flight_and_exits_0(http_bot: HttpBot) -> None:
    bot, client = http_bot.running()
    slack, llm = http_bot.slack, http_bot.llm
    asked = len(llm.requests)
    llm.script(Reply(delay=1.5, body=completion("The kick-off meeting was held in Kemi [1].").body))
    assert client.event(mention(KICKOFF, ts="310.000001", channel="C_HTTPSTOP")).status == 200
    slack.wait_for(lambda: len(llm.requests) > asked, timeout=20, what="the answer at the LLM")

    code, seconds = bot.terminate(timeout=20)
    assert code == 0 and seconds < 10, bot.log()
    (answer,) = thread_replies(slack, "C_HTTPSTOP", "310.000001")  # finished before the exit
    assert answer["updates"] == 1 and "Kemi" in str(answer["text"])
    assert reactions(slack, "C_HTTPSTOP", "310.000001") == ["reactions.add", "reactions.remove"]
    port = int(client.url.split(":")[2].split("/")[0])
    with pytest.raises(ConnectionRefusedError):  # nothing listens any more
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


@pytest.mark.skipif(not inotify_works(), reason="no inotify on this machine")
def test_with_a_watched_corpus_a_dropped_file_is_answered_from_without_a_restart(
        tmp_path: Path) -> None:
    slack = FakeSlack()
    bot, client = start_http_bot(tmp_path, slack, ASSISTANT_WATCH_CORPUS="1",
                                 ASSISTANT_WATCH_SETTLE_SECONDS="0.2")
    try:
        bot.wait_log(r"watching .* for changes \(its change journal\)", timeout=60)
        (tmp_path / "corpus" / "depot.txt").write_text(
            "Title: Depot news\n\nThe new core depot of the partnership opened in Rovaniemi "
            "in March 2021.\n", "utf-8")
        bot.wait_log(r"corpus changed \(journal\): added 1", timeout=60)
        client.event(mention("Where did the new core depot open?", ts="900.000001",
                             channel="C_WATCH"), event_id="EvWATCH")
        answer = finished(slack, "C_WATCH", "900.000001")
        assert "Rovaniemi" in json.dumps(answer) and "Depot news" in json.dumps(answer)  # cited
    finally:
        bot.kill()
        slack.close()
