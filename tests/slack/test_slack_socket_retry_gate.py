"""Socket Mode first deliveries carry ``retry_attempt: 0``; bolt turns it into a retry header.

The envelope goes through bolt's own Socket Mode bridge (``run_bolt_app``: the code that
``SocketModeHandler`` runs for each envelope), so the header is exactly what bolt makes of it.
The full protocol (WebSocket server, real client, real process) is tested in
``test_socket_mode_process.py``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakeslack import BOT_USER_ID, FakeSlack
from slack_bolt.adapter.socket_mode.internals import run_bolt_app
from slack_sdk.socket_mode.request import SocketModeRequest
from slackkit import FakeDrafting, FakeService, TrackingExecutor, make_settings, mention

from assistant.feedback import FeedbackStore
from assistant.slack.app import build_app
from assistant.slack.handlers import retry_number


@pytest.fixture
def socket_app(tmp_path: Path, slack: FakeSlack, service: FakeService) -> Iterator[Any]:
    executor = TrackingExecutor()
    app = build_app(service=service, settings=make_settings(tmp_path, slack),
                    feedback=FeedbackStore.open(tmp_path / "data"), executor=executor,
                    drafting=FakeDrafting())
    yield app, executor
    executor.shutdown(wait=True)


def envelope(event: dict[str, Any], *, event_id: str, retry_attempt: int) -> SocketModeRequest:
    payload = {"token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
               "event": event, "event_id": event_id, "event_time": int(time.time()),
               "authorizations": [{"team_id": "T1", "user_id": BOT_USER_ID, "is_bot": True}]}
    return SocketModeRequest(type="events_api", envelope_id=f"env-{event_id}", payload=payload,
                             accepts_response_payload=False, retry_attempt=retry_attempt,
                             retry_reason="" if retry_attempt == 0 else "timeout")


def test_first_socket_mode_delivery_is_answered_and_true_retry_is_not(
        socket_app: Any, service: FakeService) -> None:
    app, executor = socket_app
    first = run_bolt_app(app, envelope(mention("When did Phase 1 of the REMIX project end?",
                                               ts="10.000001"), event_id="EvA", retry_attempt=0))
    retry = run_bolt_app(app, envelope(mention("How many EU regions?", ts="11.000001"),
                                       event_id="EvB", retry_attempt=1))
    assert (first.status, retry.status) == (200, 200)
    executor.wait_idle()
    assert [c["question"] for c in service.calls] == ["When did Phase 1 of the REMIX project end?"]


@pytest.mark.parametrize(("headers", "expected"), [
    ({}, 0), ({"x-slack-retry-num": ["0"]}, 0), ({"x-slack-retry-num": ["2"]}, 2),
    ({"x-slack-retry-num": ["junk"]}, 0), ({"x-slack-retry-num": "1"}, 1),
])
def test_retry_number(headers: dict[str, Any], expected: int) -> None:
    assert retry_number(headers) == expected
