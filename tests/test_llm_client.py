"""The chat client over HTTP: URLs, auth headers, retries, and errors that never leak the key."""

from __future__ import annotations

import json
import logging
import traceback

import pytest
from fake_llm import FakeLLM, Reply, completion, error

from assistant.errors import BackendError
from assistant.llm.client import ChatClient, chat_url

pytest_plugins = ["fake_llm_fixtures"]

KEY = "sk-secret-KEY-4f1c9a77e2"
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]


def client(fake: FakeLLM, **kw: object) -> ChatClient:
    options: dict[str, object] = {"model": "m", "api_key": KEY, "timeout": 2.0, "backoff": 0.01}
    options.update(kw)
    return ChatClient(base_url=str(options.pop("base_url", fake.url)), **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("base, url", [
    ("http://h:8000/v1", "http://h:8000/v1/chat/completions"),
    ("http://h:8000/v1/", "http://h:8000/v1/chat/completions"),
    ("http://h:11434/v1/chat/completions", "http://h:11434/v1/chat/completions"),
    ("https://r.openai.azure.com/openai/deployments/gpt4o?api-version=2024-06-01",
     "https://r.openai.azure.com/openai/deployments/gpt4o/chat/completions"
     "?api-version=2024-06-01"),
])
def test_chat_url(base: str, url: str) -> None:
    assert chat_url(base) == url


@pytest.mark.parametrize("base", ["localhost:8000/v1", "ftp://h/v1", ""])
def test_a_base_url_that_is_not_http_is_a_config_error(base: str) -> None:
    with pytest.raises(BackendError, match="ASSISTANT_LLM_BASE_URL"):
        chat_url(base)


def test_request_body_and_bearer_key(fake_llm: FakeLLM) -> None:
    fake_llm.script(completion("Hello."))
    assert client(fake_llm, max_tokens=300).complete(MESSAGES) == "Hello."
    (request,) = fake_llm.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert "api-key" not in request.headers
    assert request.headers["content-type"] == "application/json"
    assert request.body == {"model": "m", "messages": MESSAGES, "temperature": 0.0,
                            "max_tokens": 300}


def test_azure_style_url_keeps_api_version_and_sends_api_key_header(fake_llm: FakeLLM) -> None:
    fake_llm.script(completion("Hello."))
    base = fake_llm.url.replace("/v1", "/openai/deployments/gpt4o?api-version=2024-06-01")
    assert client(fake_llm, base_url=base).complete(MESSAGES) == "Hello."
    (request,) = fake_llm.requests
    assert request.path == "/openai/deployments/gpt4o/chat/completions?api-version=2024-06-01"
    assert request.headers["api-key"] == KEY and "authorization" not in request.headers


def test_no_key_no_auth_headers(fake_llm: FakeLLM) -> None:
    fake_llm.script(completion("Hello."))
    client(fake_llm, api_key=None).complete(MESSAGES)
    headers = fake_llm.requests[0].headers
    assert "authorization" not in headers and "api-key" not in headers


def test_content_given_as_text_parts_is_joined(fake_llm: FakeLLM) -> None:
    fake_llm.script(completion([{"type": "text", "text": "Kemi "},
                                {"type": "text", "text": "[1]."}]))
    assert client(fake_llm).complete(MESSAGES) == "Kemi [1]."


@pytest.mark.parametrize("status", [429, 500, 503])
def test_transient_status_is_retried_once(fake_llm: FakeLLM, status: int) -> None:
    fake_llm.script(error(status), completion("Second time lucky."))
    assert client(fake_llm).complete(MESSAGES) == "Second time lucky."
    assert len(fake_llm.requests) == 2


def test_second_failure_gives_up_with_one_line(fake_llm: FakeLLM) -> None:
    fake_llm.default = error(503, "model is loading\nplease wait")
    with pytest.raises(BackendError) as info:
        client(fake_llm).complete(MESSAGES)
    assert len(fake_llm.requests) == 2
    message = str(info.value)
    assert "HTTP 503" in message and "model is loading please wait" in message
    assert "\n" not in message


def test_client_errors_are_not_retried_and_say_what_to_check(fake_llm: FakeLLM) -> None:
    fake_llm.default = error(404, "The model `m` does not exist")
    with pytest.raises(BackendError, match="ASSISTANT_LLM_MODEL"):
        client(fake_llm).complete(MESSAGES)
    assert len(fake_llm.requests) == 1


@pytest.mark.parametrize("reply", [
    error(401, f"Incorrect API key provided: {KEY}."),  # OpenAI echoes (part of) a wrong key
    error(500, f"upstream rejected Bearer {KEY}"),
    Reply(status=200, body=f"<html>bad gateway for {KEY}</html>".encode()),
    Reply(status=200, body=json.dumps({"choices": [], "echo": KEY}).encode()),
], ids=["401-echo", "500-echo", "not-json-echo", "no-choices-echo"])
def test_the_key_never_appears_in_errors_or_logs(fake_llm: FakeLLM, reply: Reply,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    fake_llm.default = reply
    chat = client(fake_llm)
    with caplog.at_level(logging.DEBUG), pytest.raises(BackendError) as info:
        chat.complete(MESSAGES)
    assert fake_llm.requests[0].headers["authorization"] == f"Bearer {KEY}"  # it was sent
    assert "***" in str(info.value)  # the server's message is kept, with the key scrubbed
    assert KEY not in str(info.value)
    assert KEY not in "".join(traceback.format_exception(info.value))
    assert KEY not in caplog.text
    assert KEY not in repr(chat)
    if reply.status == 401:
        assert "ASSISTANT_LLM_API_KEY" in str(info.value)


def test_timeout_is_a_backend_error_without_retry(fake_llm: FakeLLM) -> None:
    fake_llm.default = Reply(body=completion("late").body, delay=3.0)
    with pytest.raises(BackendError, match=r"no reply .* within 0.3 s"):
        client(fake_llm, timeout=0.3).complete(MESSAGES)
    assert len(fake_llm.requests) == 1


def test_unreachable_server_is_a_backend_error() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    chat = ChatClient(base_url=f"http://user:pw@127.0.0.1:{port}/v1", model="m", timeout=0.5)
    with pytest.raises(BackendError, match="cannot reach") as info:
        chat.complete(MESSAGES)
    assert "pw" not in str(info.value)
