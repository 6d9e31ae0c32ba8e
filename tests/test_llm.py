"""The optional LLM answerer, against a fake OpenAI-compatible server on 127.0.0.1.

The real HTTP path runs (urllib -> socket -> http.server); the fake records every request and
replies with the completion each test sets.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import pytest

from assistant.answering.extractive import ExtractiveAnswerer
from assistant.answering.llm import LLMAnswerer
from assistant.models import NOT_FOUND, Answer, Chunk, Hit

QUESTION = "When and where was the REMIX kick-off meeting held?"
UNANSWERABLE = "What is the airspeed velocity of an unladen swallow?"


def hit(i: int, text: str, *, title: str, section: str = "", page: int | None = None) -> Hit:
    return Hit(Chunk(chunk_id=f"d{i}#0", doc_id=f"d{i}.txt", title=title, text=text,
                     section=section, page=page), score=1.0 / (i + 1))


# Re-ranked by the extractive answerer for QUESTION as d0, d1, d2, d3 (asserted below).
HITS = [
    hit(0, "The REMIX kick-off meeting was held in Kemi, Finland, on 5-6 April 2017. "
           "The weather was cold.", title="Kick-off", section="Meetings"),
    hit(1, "Mr. Auffret from DG GROW talked about raw materials policy at the kick-off meeting.",
        title="Speakers"),
    hit(2, "The project budget was 1.9 million euro. Partners from ten regions attended the "
           "kick-off meeting in Kemi. Lunch was served.", title="Budget", page=4),
    hit(3, "Honey bees live in colonies. A colony has one queen.", title="Bees"),
]


def completion(content: Any) -> dict[str, Any]:
    return {"id": "x", "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "finish_reason": "stop"}]}


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    delay: float = 0.0


@dataclass
class FakeLLM:
    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    reply: Reply = field(default_factory=Reply)

    def complete(self, content: Any) -> None:
        self.reply = Reply(body=json.dumps(completion(content)).encode())


@pytest.fixture(scope="module")
def server() -> Iterator[FakeLLM]:
    fake = FakeLLM(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length", 0))
            raw = self.rfile.read(length)
            fake.requests.append({"path": self.path, "headers": dict(self.headers),
                                  "body": json.loads(raw)})
            reply = fake.reply
            if reply.delay:
                time.sleep(reply.delay)
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
            except OSError:  # the client gave up (timeout test)
                pass

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1/"
    try:
        yield fake
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def fake(server: FakeLLM, monkeypatch: pytest.MonkeyPatch) -> FakeLLM:
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    server.requests.clear()
    server.reply = Reply()
    return server


def extractive() -> ExtractiveAnswerer:
    return ExtractiveAnswerer(idf=lambda token: 1.0)


def llm(fake: FakeLLM, *, api_key: str | None = None, timeout: float = 2.0) -> LLMAnswerer:
    return LLMAnswerer(base_url=fake.url, model="test-model", api_key=api_key, timeout=timeout,
                       fallback=extractive())


def same(a: Answer, b: Answer) -> bool:
    return (a.text, a.answered, a.confidence, [c.to_json() for c in a.citations],
            [h.chunk.chunk_id for h in a.hits]) == (
        b.text, b.answered, b.confidence, [c.to_json() for c in b.citations],
        [h.chunk.chunk_id for h in b.hits])


def test_fixture_order_is_what_the_tests_assume() -> None:
    base = extractive().answer(QUESTION, HITS)
    assert base.answered
    assert [h.chunk.doc_id for h in base.hits] == ["d0.txt", "d1.txt", "d2.txt", "d3.txt"]


def test_cited_answer_is_renumbered_and_quotes_verbatim(fake: FakeLLM) -> None:
    fake.complete("Partners from ten regions attended the kick-off meeting in Kemi [3]. "
                  "It took place on 5-6 April 2017 in Kemi, Finland [1][9].")
    answer = llm(fake).answer(QUESTION, HITS, id="q1")

    assert answer.answered and answer.id == "q1" and answer.question == QUESTION
    assert answer.text == ("Partners from ten regions attended the kick-off meeting in Kemi [1]. "
                           "It took place on 5-6 April 2017 in Kemi, Finland [2].")
    assert [(c.n, c.doc_id) for c in answer.citations] == [(1, "d2.txt"), (2, "d0.txt")]
    first, second = answer.citations
    # The sentence that matches the claim, not the chunk's first sentence, and verbatim.
    assert first.quote == "Partners from ten regions attended the kick-off meeting in Kemi."
    assert first.quote in HITS[2].chunk.text and first.page == 4 and first.title == "Budget"
    assert second.quote == "The REMIX kick-off meeting was held in Kemi, Finland, on 5-6 April 2017."
    assert second.quote in HITS[0].chunk.text and second.section == "Meetings"
    assert answer.confidence == extractive().answer(QUESTION, HITS).confidence
    assert [h.chunk.doc_id for h in answer.hits][:3] == ["d0.txt", "d1.txt", "d2.txt"]


def test_request_carries_model_temperature_sources_and_key(fake: FakeLLM) -> None:
    fake.complete("It was held in Kemi on 5-6 April 2017 [1].")
    llm(fake, api_key="sk-test").answer(QUESTION, HITS)

    assert len(fake.requests) == 1
    request = fake.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == "Bearer sk-test"
    body = request["body"]
    assert body["model"] == "test-model" and body["temperature"] == 0
    system, user = body["messages"]
    assert system["role"] == "system" and "NOT_FOUND" in system["content"]
    assert "[n]" in system["content"] or "[1]" in system["content"]
    assert user["role"] == "user" and QUESTION in user["content"]
    assert "[1] Kick-off — Meetings\nThe REMIX kick-off meeting was held in Kemi" in user["content"]
    assert "[3] Budget — p. 4\nThe project budget" in user["content"]
    assert "[4] Bees\nHoney bees" in user["content"]


def test_no_key_no_authorization_header(fake: FakeLLM) -> None:
    fake.complete("It was held in Kemi on 5-6 April 2017 [1].")
    llm(fake, api_key=None).answer(QUESTION, HITS)
    assert "Authorization" not in fake.requests[0]["headers"]


@pytest.mark.parametrize("content", ["NOT_FOUND", " NOT_FOUND.\n", "", None])
def test_not_found_reply_is_a_refusal_with_nearest_sources(fake: FakeLLM, content: Any) -> None:
    fake.complete(content)
    answer = llm(fake).answer(QUESTION, HITS)

    assert not answer.answered
    assert answer.text.startswith(NOT_FOUND)
    assert [(c.n, c.doc_id) for c in answer.citations] == [
        (1, "d0.txt"), (2, "d1.txt"), (3, "d2.txt")]
    assert all(c.quote and c.quote in HITS[int(c.doc_id[1])].chunk.text
               for c in answer.citations)
    assert len(fake.requests) == 1


@pytest.mark.parametrize("content", [
    "The meeting was held in Kemi in April 2017.",  # no marker at all
    "The meeting was held in Kemi in April 2017 [7][0].",  # only markers to missing sources
])
def test_uncited_reply_falls_back_to_extractive(fake: FakeLLM, content: str) -> None:
    fake.complete(content)
    answer = llm(fake).answer(QUESTION, HITS)
    assert same(answer, extractive().answer(QUESTION, HITS))
    assert answer.text.endswith("[1]") and answer.citations


@pytest.mark.parametrize("reply", [
    Reply(status=500, body=b'{"error": "boom"}'),
    Reply(status=200, body=b"<html>not json"),
    Reply(status=200, body=b'{"choices": []}'),
    Reply(status=200, body=b'{"choices": [{"message": {"content": 42}}]}'),
    Reply(status=200, body=b"[1, 2]"),
], ids=["500", "garbage", "no-choices", "content-not-text", "not-an-object"])
def test_backend_failures_fall_back_to_extractive(fake: FakeLLM, reply: Reply,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    fake.reply = reply
    with caplog.at_level(logging.WARNING, logger="assistant.llm"):
        answer = llm(fake).answer(QUESTION, HITS)
    assert same(answer, extractive().answer(QUESTION, HITS))
    assert len(fake.requests) == 1
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "extractive" in warnings[0].getMessage()


def test_timeout_falls_back_to_extractive(fake: FakeLLM) -> None:
    fake.reply = Reply(body=json.dumps(completion("Kemi [1].")).encode(), delay=0.6)
    started = time.monotonic()
    answer = llm(fake, timeout=0.15).answer(QUESTION, HITS)
    assert time.monotonic() - started < 0.5
    assert same(answer, extractive().answer(QUESTION, HITS))


def test_unreachable_server_falls_back_to_extractive(fake: FakeLLM) -> None:
    import socket

    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    answerer = LLMAnswerer(base_url=f"http://127.0.0.1:{port}/v1", model="m", api_key=None,
                           timeout=0.5, fallback=extractive())
    assert same(answerer.answer(QUESTION, HITS), extractive().answer(QUESTION, HITS))


def test_extractive_refusal_never_calls_the_llm(fake: FakeLLM) -> None:
    fake.complete("Eleven metres per second [1].")
    answer = llm(fake).answer(UNANSWERABLE, HITS, id="q2")
    assert not answer.answered and answer.text.startswith(NOT_FOUND) and answer.id == "q2"
    assert same(answer, extractive().answer(UNANSWERABLE, HITS, id="q2"))
    assert fake.requests == []


def test_no_hits_is_a_refusal_without_a_call(fake: FakeLLM) -> None:
    answer = llm(fake).answer(QUESTION, [])
    assert not answer.answered and answer.citations == [] and fake.requests == []
