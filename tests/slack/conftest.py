"""Fixtures: a fake Slack Web API, a fake AskService, and the real bolt app served over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fakeslack import FakeSlack
from slackkit import Bot, FakeService, start_bot


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    yield fake
    fake.close()


@pytest.fixture
def service() -> FakeService:
    return FakeService()


@pytest.fixture
def bot(tmp_path: Path, slack: FakeSlack, service: FakeService) -> Iterator[Bot]:
    yield from start_bot(tmp_path, slack, service)
