"""Start-up and shutdown: transport choice, token validation (through the click command), bolt's
real Socket Mode adapter against the fake Socket Mode server, signals, draining answers in flight.

The whole process (CLI, real service, SIGTERM) runs in ``test_socket_mode_process.py`` and
``test_http_mode_process.py``; these are the in-process, faster checks of the same pieces."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakeslack import FakeSlack
from slackkit import FakeDrafting, FakeService, make_settings, mention

from assistant.errors import ConfigError
from assistant.feedback import FeedbackStore
from assistant.slack import runner
from assistant.slack.app import build_app
from assistant.slack.commands import feedback_group, slack_command
from assistant.slack.fakesocket import FakeSocketMode
from assistant.slack.inflight import InFlight

SLACK_VARS = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in SLACK_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv("ASSISTANT_" + name, raising=False)
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    return monkeypatch


@pytest.mark.parametrize(
    ("env", "args", "message"),
    [
        ({}, [], "SLACK_BOT_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": "xoxp-user-token"}, [], "must be a bot token starting with 'xoxb-'"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-oops"}, [], "starting with 'xapp-'"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, [], "Set SLACK_APP_TOKEN (xapp-…) for Socket Mode"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}, ["--http"], "needs SLACK_SIGNING_SECRET"),
    ],
)
def test_bad_tokens_give_one_clear_line(clean_env: pytest.MonkeyPatch, env: dict[str, str],
                                        args: list[str], message: str) -> None:
    result = CliRunner().invoke(slack_command, args, env=env)
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_resolve_launch_prefers_socket_mode(tmp_path: Path) -> None:
    slack = FakeSlack()
    try:
        s = make_settings(tmp_path, slack, slack_app_token="xapp-1-A")
        assert runner.resolve_launch(s).mode == "socket"
        assert runner.resolve_launch(s, http=True).mode == "http"
        assert runner.resolve_launch(make_settings(tmp_path, slack)).mode == "http"  # secret only
    finally:
        slack.close()


def test_socket_mode_connects_with_the_app_token_answers_and_stops_cleanly(tmp_path: Path) -> None:
    slack = FakeSlack()
    server = FakeSocketMode(app_token="xapp-1-A-secret").attach(slack)
    service = FakeService()
    try:
        settings = make_settings(tmp_path, slack, slack_app_token="xapp-1-A-secret")
        app = build_app(service=service, settings=settings, feedback=FeedbackStore.open(settings.data_dir),
                        drafting=FakeDrafting())
        stop, result = threading.Event(), []
        thread = threading.Thread(target=lambda: result.append(
            runner.run(app, runner.resolve_launch(settings), stop=stop, answers=InFlight())))
        thread.start()
        try:
            server.wait_connected()
            envelope = server.send_event(mention("When did Phase 1 of the REMIX project end?", ts="1.000001"))
            assert server.ack(envelope).connection == 1
            update = slack.wait_for(lambda: slack.of("chat.update"), what="answer")[0]
            assert "June 2019" in update["text"]
        finally:
            stop.set()
            thread.join(timeout=10)
        assert result == [True]  # stopped, with nothing left unfinished
        server.wait_disconnected(timeout=1)
        assert server.opened_urls == 1 and server.connections == 1  # no reconnect after stopping
        assert [c["question"] for c in service.calls] == ["When did Phase 1 of the REMIX project end?"]
    finally:
        server.close()
        slack.close()


def test_rejected_app_token_is_a_config_error(tmp_path: Path) -> None:
    slack = FakeSlack()
    server = FakeSocketMode(app_token="xapp-1-the-right-one").attach(slack)
    try:
        settings = make_settings(tmp_path, slack)
        app = build_app(service=FakeService(), settings=settings,
                        feedback=FeedbackStore.open(settings.data_dir), drafting=FakeDrafting())
        with pytest.raises(ConfigError, match=r"Slack rejected SLACK_APP_TOKEN \(apps.connections.open: invalid_auth\)"):
            runner.connect_socket_mode(app, app_token="xapp-1-a-wrong-one")
        assert server.connections == 0
    finally:
        server.close()
        slack.close()


def test_signals_set_the_stop_event_and_handlers_are_restored() -> None:
    stop = threading.Event()
    before = signal.getsignal(signal.SIGTERM)
    with runner.stop_on_signals(stop):
        os.kill(os.getpid(), signal.SIGTERM)
        deadline = time.monotonic() + 5
        while not stop.is_set() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert stop.is_set()
    assert signal.getsignal(signal.SIGTERM) is before


def test_drain_waits_for_work_that_finishes_in_time() -> None:
    pool = ThreadPoolExecutor(max_workers=2)
    answers = InFlight()
    closed: list[str] = []
    done = threading.Event()

    def answer() -> None:
        turn = answers.begin(lambda: closed.append("notice"))
        time.sleep(0.05)
        if turn.claim():
            done.set()
        turn.done()

    pool.submit(answer)
    assert runner.drain(pool, answers=answers, deadline=time.monotonic() + 5)
    assert done.is_set() and closed == [] and len(answers) == 0


def test_drain_closes_what_cannot_finish_and_the_late_answer_is_not_delivered() -> None:
    pool = ThreadPoolExecutor(max_workers=1)
    answers = InFlight()
    closed: list[str] = []
    release, delivered = threading.Event(), []

    def stuck_answer() -> None:
        turn = answers.begin(lambda: closed.append("restarted"))
        release.wait(10)
        if turn.claim():  # the shutdown got there first: the notice stays, no late answer
            delivered.append("answer")
        turn.done()

    pool.submit(stuck_answer)
    never_started = pool.submit(closed.append, "queued ran")  # queued behind it: cancelled
    while not len(answers):
        time.sleep(0.01)
    assert not runner.drain(pool, answers=answers, deadline=time.monotonic() + 0.2)
    assert closed == ["restarted"] and never_started.cancelled()
    release.set()
    pool.shutdown(wait=True)
    assert delivered == [] and len(answers) == 0


def test_rejected_bot_token_is_a_config_error(tmp_path: Path) -> None:
    slack = FakeSlack()
    slack.fail_next("auth.test", 200, error="invalid_auth")
    try:
        settings = make_settings(tmp_path, slack)
        with pytest.raises(ConfigError, match=r"Slack rejected SLACK_BOT_TOKEN \(auth.test: invalid_auth\)"):
            build_app(service=FakeService(), settings=settings,
                      feedback=FeedbackStore.open(settings.data_dir))
    finally:
        slack.close()


def test_feedback_export_command(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    result = CliRunner().invoke(feedback_group, ["export"])
    assert result.exit_code == 0 and "No feedback recorded yet" in result.output
    FeedbackStore.open(tmp_path / "data").record(
        question="When?", answer_text="June 2019 [1]", sources=[{"n": 1, "doc": "d.txt"}],
        verdict="helpful", user="U1", channel="C1", ts="1.1", answered=True)
    result = CliRunner().invoke(feedback_group, ["export", "--out", "-"])
    assert result.exit_code == 0 and "left out 1" in result.output  # no index: d.txt is unknown
    assert not [l for l in result.output.splitlines() if l.startswith("{")]
    result = CliRunner().invoke(feedback_group, ["export", "--out", "-", "--include-restricted"])
    assert result.exit_code == 0
    line = json.loads(next(l for l in result.output.splitlines() if l.startswith("{")))
    assert line["question"] == "When?" and line["must"] == [] and line["answerable"] is True
    assert line["visibility"] == "unknown"
    out = tmp_path / "fb.jsonl"
    assert CliRunner().invoke(feedback_group, ["export", "--out", str(out),
                                               "--include-restricted"]).exit_code == 0
    assert json.loads(out.read_text())["verdict"] == "helpful"
