"""The real `remix-assistant slack` process in Socket Mode, as it runs in production.

Nothing of ours is faked: the child process runs the CLI, the real service over a small corpus
(hash embedder, index built at start-up), bolt's ``SocketModeHandler`` with slack_sdk's built-in
WebSocket client. Slack is faked at its edges only: the Web API (``FakeSlack``) and the Socket
Mode server (``FakeSocketMode``, which speaks the protocol: single-use URLs from
``apps.connections.open``, ``hello``, envelopes with ``retry_attempt``, acks, refresh, close).

One bot process serves the module's conversation tests; the shutdown test starts its own,
because it ends it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from corpora import SMALL_CORPUS
from fake_llm import FakeLLM, Reply, completion
from fakeslack import BOT_USER_ID, FakeSlack
from slackkit import BotProcess, finished, mention, message, process_env, reactions, thread_replies

from assistant.feedback import FeedbackStore
from assistant.slack import blocks
from assistant.slack.fakesocket import FakeSocketMode
from assistant.slack.inflight import RESTARTED_TEXT

APP_TOKEN = "xapp-1-A1-process-test"
KICKOFF = "Where was the REMIX kick-off meeting held?"


@dataclass
class World:
    slack: FakeSlack
    socket: FakeSocketMode
    bot: BotProcess
    root: Path

    def answered(self, channel: str, ts: str, thread_ts: str | None = None) -> list[dict[str, Any]]:
        """Wait until the bot has finished with message ``ts`` (its ⏳ removed), then return
        what it left in the message's thread."""
        return finished(self.slack, channel, ts, thread_ts)


def start_world(root: Path, **env: str) -> World:
    slack = FakeSlack()
    socket = FakeSocketMode(app_token=APP_TOKEN, bot_user_id=BOT_USER_ID).attach(slack)
    bot = BotProcess.start(["--index", str(root / "index")], cwd=root,
                           env=process_env(root, slack, SMALL_CORPUS, SLACK_APP_TOKEN=APP_TOKEN, **env))
    try:
        socket.wait_connected(timeout=90)
    except AssertionError:
        stop_world(World(slack, socket, bot, root))
        raise AssertionError("the bot never connected:\n" + bot.log()) from None
    return World(slack, socket, bot, root)


def stop_world(world: World) -> None:
    world.bot.kill()
    world.socket.close()
    world.slack.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = start_world(tmp_path_factory.mktemp("socket-bot"))
    yield w
    stop_world(w)


def only_answer(replies: list[dict[str, Any]]) -> str:
    """The one answer in a thread: exactly one message, its placeholder replaced once."""
    assert len(replies) == 1, replies
    (reply,) = replies
    assert reply["updates"] == 1 and reply["text"] not in (blocks.WORKING_TEXT, blocks.APOLOGY_TEXT), reply
    return str(reply["text"])


def test_mention_dm_and_thread_follow_up_are_answered_once_in_their_threads(world: World) -> None:
    sock = world.socket
    first = sock.send_event(mention(KICKOFF, ts="100.000001", channel="C_SOCK"))
    assert sock.ack(first).payload is None  # acked within Slack's 3 s, nothing to say
    assert "Kemi" in only_answer(world.answered("C_SOCK", "100.000001"))
    assert reactions(world.slack, "C_SOCK", "100.000001") == ["reactions.add", "reactions.remove"]

    dm = sock.send_event(message("Who talked about interregional cooperation in raw materials policy?",
                                 ts="101.000001", channel="D_SOCK", channel_type="im"))
    sock.ack(dm)
    assert "Auffret" in only_answer(world.answered("D_SOCK", "101.000001"))

    # a reply in the bot's thread, without a mention: answered in that thread, with its context
    follow = sock.send_event(message("On which dates?", ts="102.000001", channel="C_SOCK",
                                     thread_ts="100.000001"))
    sock.ack(follow)
    replies = world.answered("C_SOCK", "102.000001", thread_ts="100.000001")
    assert len(replies) == 2 and "Kemi" in replies[0]["text"]
    assert "2017" in only_answer(replies[1:])
    assert thread_replies(world.slack, "C_SOCK", "102.000001") == []  # not a thread of its own
    assert sock.stray_acks() == []


def test_true_retry_and_redelivered_event_are_acked_and_dropped(world: World) -> None:
    sock, slack = world.socket, world.slack
    retry = sock.send_event(mention(KICKOFF, ts="110.000001", channel="C_RETRY"), event_id="EvRETRY1",
                            retry_attempt=1, retry_reason="timeout")
    sock.ack(retry)  # acked, so Slack stops retrying...
    first = sock.send_event(mention(KICKOFF, ts="111.000001", channel="C_RETRY"), event_id="EvTWICE1")
    sock.ack(first)
    assert "Kemi" in only_answer(world.answered("C_RETRY", "111.000001"))
    again = sock.send_event(mention(KICKOFF, ts="111.000001", channel="C_RETRY"), event_id="EvTWICE1")
    sock.ack(again)
    later = sock.send_event(mention(KICKOFF, ts="112.000001", channel="C_RETRY"))
    sock.ack(later)
    assert "Kemi" in only_answer(world.answered("C_RETRY", "112.000001"))

    # ...but neither the retry nor the second delivery got an answer (or even an ⏳)
    world.bot.wait_log(r"Ignoring Slack retry 1 of event EvRETRY1")
    world.bot.wait_log(r"Ignoring duplicate delivery of event EvTWICE1")
    assert thread_replies(slack, "C_RETRY", "110.000001") == []
    assert reactions(slack, "C_RETRY", "110.000001") == []
    assert len(thread_replies(slack, "C_RETRY", "111.000001")) == 1
    assert reactions(slack, "C_RETRY", "111.000001") == ["reactions.add", "reactions.remove"]


def test_slash_command_answers_through_response_url_and_feedback_click_is_stored(world: World) -> None:
    sock, slack = world.socket, world.slack
    cmd = sock.send_command(KICKOFF, response_url=slack.response_url("sock-slash"), channel="C_SLASH",
                            user="U_ASKER")
    ack = sock.ack(cmd)
    assert ack.payload and ack.payload["response_type"] == "ephemeral"  # the ack carries the reply
    assert ack.payload["text"] == blocks.WORKING_TEXT

    reply = slack.wait_for(lambda: slack.of("response:sock-slash"), timeout=20, what="slash answer")[0]
    assert reply["response_type"] == "ephemeral" and "Kemi" in reply["text"]
    key = next(e["value"] for b in reply["blocks"] for e in b.get("elements", [])
               if e.get("action_id") == blocks.ACTION_HELPFUL)

    click = sock.send_interactive({
        "type": "block_actions", "user": {"id": "U_ASKER", "username": "asker", "team_id": "T1"},
        "api_app_id": "A1", "token": "legacy", "team": {"id": "T1", "domain": "test"},
        "channel": {"id": "C_SLASH", "name": "general"}, "trigger_id": "9.9.fake",
        "container": {"type": "message", "message_ts": "9.000001", "channel_id": "C_SLASH",
                      "is_ephemeral": True},
        "response_url": slack.response_url("sock-click"),
        "actions": [{"action_id": blocks.ACTION_HELPFUL, "block_id": "answer_actions", "value": key,
                     "type": "button", "action_ts": "9.000002"}],
    })
    sock.ack(click)
    thanks = slack.wait_for(lambda: slack.of("response:sock-click"), timeout=20, what="thanks")[0]
    assert thanks["text"] == blocks.THANKS_TEXT and thanks["replace_original"] is False

    rows = FeedbackStore.open(world.root / "data").rows()  # written by the bot process
    assert [(r["verdict"], r["user"], r["question"]) for r in rows] == [("helpful", "U_ASKER", KICKOFF)]
    assert "Kemi" in rows[0]["answer_text"]


def test_reconnects_after_refresh_and_after_a_close_and_answers_on_the_new_connection(
        world: World) -> None:
    sock = world.socket
    before = sock.connections

    sock.refresh()  # Slack's {"type": "disconnect", "reason": "refresh_requested"}
    sock.wait_connected(before + 1)
    sock.wait_closed(before)  # the client drops the old socket itself once the new one is up
    on_new = sock.send_event(mention(KICKOFF, ts="120.000001", channel="C_RECONNECT"))
    assert sock.ack(on_new).connection == before + 1
    assert "Kemi" in only_answer(world.answered("C_RECONNECT", "120.000001"))

    sock.drop()  # the socket just closes (close frame 1001), no warning
    sock.wait_connected(before + 2, timeout=6)  # within a couple of health checks
    after_drop = sock.send_event(mention(KICKOFF, ts="121.000001", channel="C_RECONNECT"))
    assert sock.ack(after_drop).connection == before + 2
    assert "Kemi" in only_answer(world.answered("C_RECONNECT", "121.000001"))
    assert sock.open_connections == 1 and sock.stray_acks() == []


def test_sigterm_finishes_or_closes_answers_in_flight_and_exits_0(tmp_path: Path) -> None:
    with FakeLLM() as llm:
        # Answers wait for the LLM: the first for 2 s (it can finish while the bot drains),
        # the next two for longer than the bot may wait (they must be closed, not left).
        llm.script(Reply(delay=2.0, body=completion("The kick-off meeting was held in Kemi [1].").body),
                   Reply(delay=30.0), Reply(delay=30.0))
        world = start_world(tmp_path, ASSISTANT_LLM_BASE_URL=llm.url, ASSISTANT_LLM_TIMEOUT="40",
                            ASSISTANT_SLACK_ANSWER_CONCURRENCY="3")
        try:
            sock, slack = world.socket, world.slack
            sock.ack(sock.send_event(mention(KICKOFF, ts="200.000001", channel="C_STOP")))
            slack.wait_for(lambda: len(llm.requests) == 1, timeout=20, what="answer 1 at the LLM")
            sock.ack(sock.send_event(mention(KICKOFF, ts="201.000001", channel="C_STOP")))
            slack.wait_for(lambda: len(llm.requests) == 2, timeout=20, what="answer 2 at the LLM")
            sock.ack(sock.send_command(KICKOFF, response_url=slack.response_url("stop-slash"),
                                       channel="C_STOP"))
            slack.wait_for(lambda: len(llm.requests) == 3, timeout=20, what="answer 3 at the LLM")
            urls = sock.opened_urls

            code, seconds = world.bot.terminate(timeout=20)
            assert code == 0, world.bot.log()
            assert seconds < 10, world.bot.log()
            sock.wait_disconnected(timeout=1)
            time.sleep(0.3)  # anything the bot still sent would have arrived by now
            assert sock.opened_urls == urls  # it took nothing new: no reconnect after the signal

            # the answer that could finish did; the others say so instead of "Looking through…"
            assert "Kemi" in only_answer(thread_replies(slack, "C_STOP", "200.000001"))
            (closed,) = thread_replies(slack, "C_STOP", "201.000001")
            assert closed["text"] == RESTARTED_TEXT and closed["updates"] == 1
            for ts in ("200.000001", "201.000001"):
                assert reactions(slack, "C_STOP", ts) == ["reactions.add", "reactions.remove"]
            assert [r["text"] for r in slack.of("response:stop-slash")] == [RESTARTED_TEXT]
            assert slack.of("response:stop-slash")[0]["replace_original"] is True
        finally:
            stop_world(world)
