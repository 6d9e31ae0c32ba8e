"""pytest fixtures for `fake_llm`: `pytest_plugins = ["fake_llm_fixtures"]` in a test module.

A separate module from `fake_llm` so that pytest can load it as a plugin before any test module
imports it (which would stop pytest from rewriting its asserts).
"""

from __future__ import annotations

from typing import Iterator

import pytest

from fake_llm import PROXY_VARS, FakeLLM


@pytest.fixture(scope="module")
def fake_llm_server() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


@pytest.fixture
def fake_llm(fake_llm_server: FakeLLM, monkeypatch: pytest.MonkeyPatch) -> FakeLLM:
    """The module's fake server, emptied, with no proxy between it and the client."""
    for var in PROXY_VARS:
        monkeypatch.delenv(var, raising=False)
    fake_llm_server.reset()
    return fake_llm_server
