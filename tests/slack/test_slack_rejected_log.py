"""A badly signed request is refused (401) and logged without its body or signature."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from fakeslack import FakeSlack
from slackkit import FakeService, mention, start_bot

MARKER = "xoxb-pasted-token-SECRET-BODY-MARKER"


def test_forged_request_is_logged_without_its_body(tmp_path: Path, slack: FakeSlack,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # before the app exists: bolt copies the level then
    bot_gen = start_bot(tmp_path, slack, FakeService())
    bot = next(bot_gen)
    try:
        forged = bot.event(mention(f"please read {MARKER}", ts="1.000001"),
                           signature="v0=" + "1" * 64)
        assert forged.status == 401
    finally:
        bot_gen.close()
    messages = [r.getMessage() for r in caplog.records]
    assert any("Rejected a Slack request: invalid or stale signature (timestamp: " in m
               for m in messages), messages
    assert not any(MARKER in m or "v0=1111" in m for m in messages)
    assert not any(MARKER in json.dumps(r.args, default=str) for r in caplog.records if r.args)
    assert bot.service.calls == []  # refused before any listener ran
