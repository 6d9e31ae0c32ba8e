"""Tokens and secrets never appear in logs, error messages or outputs, even at DEBUG level and
even when they are wrong (the moment people paste logs into an issue)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.cli import main
from assistant.config import Settings
from assistant.slack.fakeapi import FakeSlack

BOT = "xoxb-4242-SECRETBOTTOKEN"
APP = "xapp-1-SECRETAPPTOKEN"
SIGNING = "SECRETSIGNINGSECRET"
LLM_KEY = "sk-SECRETLLMKEY"
SECRETS = ("SECRETBOTTOKEN", "SECRETAPPTOKEN", "SECRETSIGNINGSECRET", "SECRETLLMKEY")


def _leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def test_settings_never_print_their_secrets():
    settings = Settings(_env_file=None, slack_bot_token=BOT, slack_app_token=APP,
                        slack_signing_secret=SIGNING, llm_api_key=LLM_KEY)
    assert settings.slack_bot_token.get_secret_value() == BOT  # really set
    for shown in (repr(settings), str(settings), settings.model_dump_json()):
        assert _leaks(shown) == []


def test_a_rejected_bot_token_fails_with_one_line_that_does_not_contain_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture):
    slack = FakeSlack(token="xoxb-the-right-one")
    slack.fail_next("auth.test", 200, error="invalid_auth")  # what Slack says to a wrong token
    try:
        for name, value in {"SLACK_BOT_TOKEN": BOT, "SLACK_SIGNING_SECRET": SIGNING,
                            "SLACK_API_URL": slack.api_url, "ASSISTANT_LLM_API_KEY": LLM_KEY,
                            "ASSISTANT_EMBEDDER": "hash", "ASSISTANT_INDEX_DIR": str(tmp_path / "ix"),
                            "ASSISTANT_CORPUS_DIR": str(tmp_path / "corpus"),
                            "ASSISTANT_DATA_DIR": str(tmp_path / "data")}.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
        (tmp_path / "corpus").mkdir()
        (tmp_path / "corpus" / "a.txt").write_text("Kemi hosted the kick-off.", encoding="utf-8")
        caplog.set_level(logging.DEBUG)
        result = CliRunner().invoke(main, ["slack", "--http", "--port", "0"])
    finally:
        slack.close()
    assert result.exit_code != 0  # the wrong token stops the bot...
    assert "token" in result.output.lower()  # ...saying which setting is wrong
    assert _leaks(result.output) == []
    assert _leaks(caplog.text) == []
    assert _leaks(repr(result.exception)) == []
