"""Start-up: transport choice, token validation (through the click command), Socket Mode wiring."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fakeslack import FakeSlack
from slackkit import FakeService, make_settings

from assistant.errors import ConfigError
from assistant.feedback import FeedbackStore
from assistant.slack import runner
from assistant.slack.app import build_app
from assistant.slack.commands import feedback_group, slack_command

SLACK_VARS = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in SLACK_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv("ASSISTANT_" + name, raising=False)
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    return monkeypatch


class FakeSocketHandler:
    instances: list["FakeSocketHandler"] = []

    def __init__(self, app: Any, app_token: str) -> None:
        self.app, self.app_token, self.started = app, app_token, False
        FakeSocketHandler.instances.append(self)

    def start(self) -> None:
        self.started = True


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


def test_socket_mode_wiring_uses_app_token_and_app(tmp_path: Path) -> None:
    slack = FakeSlack()
    try:
        settings = make_settings(tmp_path, slack, slack_app_token="xapp-1-A-secret")
        app = build_app(service=FakeService(), settings=settings,
                        feedback=FeedbackStore.open(settings.data_dir))
        launch = runner.resolve_launch(settings)
        FakeSocketHandler.instances.clear()
        runner.serve(app, launch, socket_handler_factory=FakeSocketHandler)
        (handler,) = FakeSocketHandler.instances
        assert handler.app is app and handler.app_token == "xapp-1-A-secret" and handler.started

        # the default factory builds bolt's SocketModeHandler around the same app and token
        real = runner._builtin_socket_handler(app, "xapp-1-A-secret")
        try:
            assert real.app is app and real.app_token == "xapp-1-A-secret"  # type: ignore[attr-defined]
            assert real.client.web_client is app.client  # type: ignore[attr-defined]
        finally:
            real.close()  # type: ignore[attr-defined]
    finally:
        slack.close()


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


def test_slack_command_builds_service_and_serves(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    slack = FakeSlack()
    built: list[Any] = []

    class FakeAssistant(FakeService):
        @classmethod
        def from_settings(cls, settings: Any) -> "FakeAssistant":
            built.append(settings)
            return cls()

        def ensure_index(self) -> None:
            built.append("ensure_index")

    clean_env.setitem(sys.modules, "assistant.service", types.SimpleNamespace(Assistant=FakeAssistant))
    clean_env.setattr(runner, "_builtin_socket_handler", FakeSocketHandler)
    FakeSocketHandler.instances.clear()
    try:
        result = CliRunner().invoke(slack_command, ["--index", str(tmp_path / "idx")], env={
            "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "SLACK_API_URL": slack.api_url})
        assert result.exit_code == 0, result.output
        assert built[0].index_dir == tmp_path / "idx"
        assert FakeSocketHandler.instances[0].started
        assert slack.methods() == ["auth.test"]
    finally:
        slack.close()


def test_feedback_export_command(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    result = CliRunner().invoke(feedback_group, ["export"])
    assert result.exit_code == 0 and "No feedback recorded yet" in result.output
    FeedbackStore.open(tmp_path / "data").record(
        question="When?", answer_text="June 2019 [1]", sources=[{"n": 1, "doc": "d.txt"}],
        verdict="helpful", user="U1", channel="C1", ts="1.1", answered=True)
    result = CliRunner().invoke(feedback_group, ["export", "--out", "-"])
    assert result.exit_code == 0
    line = json.loads(next(l for l in result.output.splitlines() if l.startswith("{")))
    assert line["question"] == "When?" and line["must"] == [] and line["answerable"] is True
    out = tmp_path / "fb.jsonl"
    assert CliRunner().invoke(feedback_group, ["export", "--out", str(out)]).exit_code == 0
    assert json.loads(out.read_text())["verdict"] == "helpful"
