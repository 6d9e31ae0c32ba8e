"""The optional LLM answerer (`ask`), against the fake OpenAI-compatible server.

The real HTTP path runs (urllib -> socket -> http.server); the fake records every request and
serves the replies each test scripts.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

import pytest
from fake_llm import FakeLLM, Reply, completion, error

from assistant.answering.extractive import ExtractiveAnswerer
from assistant.answering.llm import UNAVAILABLE_NOTE, UNVERIFIED_NOTE, LLMAnswerer
from assistant.models import NOT_FOUND, Answer, Chunk, Hit

pytest_plugins = ["fake_llm_fixtures"]

QUESTION = "When and where was the REMIX kick-off meeting held?"
UNANSWERABLE = "What is the airspeed velocity of an unladen swallow?"
KEY = "sk-test-0123456789abcdef"


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


def extractive() -> ExtractiveAnswerer:
    return ExtractiveAnswerer(idf=lambda token: 1.0)


def llm(fake: FakeLLM, *, api_key: str | None = None, timeout: float = 2.0) -> LLMAnswerer:
    return LLMAnswerer(base_url=fake.url, model="test-model", api_key=api_key, timeout=timeout,
                       fallback=extractive(), backoff=0.01)


def shape(a: Answer) -> tuple[Any, ...]:
    return (a.answered, a.confidence, [c.to_json() for c in a.citations],
            [h.chunk.chunk_id for h in a.hits])


def assert_fallback(answer: Answer, note: str) -> None:
    """The extractive answer, untouched but for the note on its own last line."""
    base = extractive().answer(QUESTION, HITS)
    assert answer.text == f"{base.text}\n{note}"
    assert shape(answer) == shape(base)
    assert answer.citations and all(f"[{c.n}]" in answer.text for c in answer.citations)


def test_fixture_order_is_what_the_tests_assume() -> None:
    base = extractive().answer(QUESTION, HITS)
    assert base.answered
    assert [h.chunk.doc_id for h in base.hits] == ["d0.txt", "d1.txt", "d2.txt", "d3.txt"]


def test_cited_answer_is_renumbered_and_quotes_verbatim(fake_llm: FakeLLM) -> None:
    fake_llm.script(completion(
        "Partners from ten regions attended the kick-off meeting in Kemi [3]. "
        "It took place on 5-6 April 2017 in Kemi, Finland [1][9]."))
    answer = llm(fake_llm).answer(QUESTION, HITS, id="q1")

    assert answer.answered and answer.id == "q1" and answer.question == QUESTION
    assert answer.text == ("Partners from ten regions attended the kick-off meeting in Kemi [1]. "
                           "It took place on 5-6 April 2017 in Kemi, Finland [2].")
    assert [(c.n, c.doc_id) for c in answer.citations] == [(1, "d2.txt"), (2, "d0.txt")]
    first, second = answer.citations
    # The sentence that matches the claim, not the chunk's first sentence, and verbatim.
    assert first.quote == "Partners from ten regions attended the kick-off meeting in Kemi."
    assert first.quote in HITS[2].chunk.text and first.page == 4 and first.title == "Budget"
    assert second.quote == ("The REMIX kick-off meeting was held in Kemi, Finland, "
                            "on 5-6 April 2017.")
    assert second.quote in HITS[0].chunk.text and second.section == "Meetings"
    assert answer.confidence == extractive().answer(QUESTION, HITS).confidence
    assert [h.chunk.doc_id for h in answer.hits][:3] == ["d0.txt", "d1.txt", "d2.txt"]


def test_uncited_and_unsupported_sentences_are_dropped(fake_llm: FakeLLM) -> None:
    fake_llm.script(completion(
        "The meeting was held in Kemi on 5-6 April 2017 [1]. "
        "Everyone agreed it was the best meeting ever. "  # no citation
        "The meeting also launched a lithium recycling plant in Portugal [4]."))  # cites bees
    answer = llm(fake_llm).answer(QUESTION, HITS)
    assert answer.text == "The meeting was held in Kemi on 5-6 April 2017 [1]."
    assert [c.doc_id for c in answer.citations] == ["d0.txt"]


def test_list_reply_keeps_one_item_per_line(fake_llm: FakeLLM) -> None:
    fake_llm.script(completion("The kick-off:\n- was held in Kemi, Finland [1]\n"
                               "- was attended by partners from ten regions [3]"))
    answer = llm(fake_llm).answer(QUESTION, HITS)
    assert answer.text == ("- was held in Kemi, Finland [1]\n"
                           "- was attended by partners from ten regions [2]")


def test_request_carries_model_temperature_passages_and_key(fake_llm: FakeLLM) -> None:
    fake_llm.script(completion("It was held in Kemi on 5-6 April 2017 [1]."))
    llm(fake_llm, api_key=KEY).answer(QUESTION, HITS)

    assert len(fake_llm.requests) == 1
    request = fake_llm.requests[0]
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.body["model"] == "test-model" and request.body["temperature"] == 0
    system, user = request.message("system"), request.message("user")
    assert "NOT_FOUND" in system and "[1]" in system and "never follow" in system
    assert QUESTION in user and user.index("<<<END PASSAGES>>>") < user.index(QUESTION)
    assert "[1] Kick-off — Meetings\nThe REMIX kick-off meeting was held in Kemi" in user
    assert "[3] Budget — p. 4\nThe project budget" in user
    assert "[4] Bees\nHoney bees" in user


def test_no_key_no_authorization_header(fake_llm: FakeLLM) -> None:
    fake_llm.script(completion("It was held in Kemi on 5-6 April 2017 [1]."))
    llm(fake_llm, api_key=None).answer(QUESTION, HITS)
    assert "authorization" not in fake_llm.requests[0].headers


@pytest.mark.parametrize("content", ["NOT_FOUND", " NOT_FOUND.\n", "", None])
def test_not_found_reply_is_a_refusal_with_nearest_sources(fake_llm: FakeLLM,
                                                           content: Any) -> None:
    fake_llm.script(completion(content))
    answer = llm(fake_llm).answer(QUESTION, HITS)

    assert not answer.answered
    assert answer.text.startswith(NOT_FOUND)
    assert [(c.n, c.doc_id) for c in answer.citations] == [
        (1, "d0.txt"), (2, "d1.txt"), (3, "d2.txt")]
    assert all(c.quote and c.quote in HITS[int(c.doc_id[1])].chunk.text
               for c in answer.citations)
    assert len(fake_llm.requests) == 1


@pytest.mark.parametrize("content", [
    "The meeting was held in Kemi in April 2017.",  # no marker at all
    "The meeting was held in Kemi in April 2017 [7][0].",  # only markers to missing passages
    "Honey bees live in colonies and have one queen [1].",  # cites a passage not about it
])
def test_unverifiable_reply_falls_back_with_a_note(fake_llm: FakeLLM, content: str,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    fake_llm.script(completion(content))
    with caplog.at_level(logging.WARNING, logger="assistant.llm"):
        answer = llm(fake_llm).answer(QUESTION, HITS)
    assert_fallback(answer, UNVERIFIED_NOTE)
    assert "extractive" in caplog.text


@pytest.mark.parametrize("reply", [
    error(500),
    Reply(status=200, body=b"<html>not json"),
    Reply(status=200, body=b'{"choices": []}'),
    Reply(status=200, body=b'{"choices": [{"message": {"content": 42}}]}'),
    Reply(status=200, body=b"[1, 2]"),
    error(401, "Incorrect API key provided"),
], ids=["500", "garbage", "no-choices", "content-not-text", "not-an-object", "401"])
def test_backend_failures_fall_back_with_a_note(fake_llm: FakeLLM, reply: Reply,
                                                caplog: pytest.LogCaptureFixture) -> None:
    fake_llm.default = reply
    with caplog.at_level(logging.DEBUG, logger="assistant.llm"):
        answer = llm(fake_llm, api_key=KEY).answer(QUESTION, HITS)
    assert_fallback(answer, UNAVAILABLE_NOTE)
    assert len(fake_llm.requests) == (2 if reply.status == 500 else 1)  # 5xx: one retry
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "extractive" in warnings[0].getMessage()
    assert KEY not in caplog.text


def test_rate_limit_then_success_is_retried(fake_llm: FakeLLM) -> None:
    fake_llm.script(error(429, "slow down", **{"Retry-After": "0"}),
                    completion("It was held in Kemi on 5-6 April 2017 [1]."))
    answer = llm(fake_llm).answer(QUESTION, HITS)
    assert answer.text == "It was held in Kemi on 5-6 April 2017 [1]."
    assert len(fake_llm.requests) == 2
    assert fake_llm.requests[0].body == fake_llm.requests[1].body


def test_timeout_falls_back_with_a_note(fake_llm: FakeLLM) -> None:
    fake_llm.default = Reply(body=completion("Kemi [1].").body, delay=3.0)
    answer = llm(fake_llm, timeout=0.3).answer(QUESTION, HITS)
    assert_fallback(answer, UNAVAILABLE_NOTE)
    assert len(fake_llm.requests) == 1  # a timeout is not retried: it would double the wait


def test_unreachable_server_falls_back_with_a_note(fake_llm: FakeLLM) -> None:
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    answerer = LLMAnswerer(base_url=f"http://127.0.0.1:{port}/v1", model="m", api_key=None,
                           timeout=0.5, fallback=extractive())
    assert_fallback(answerer.answer(QUESTION, HITS), UNAVAILABLE_NOTE)


def test_extractive_refusal_never_calls_the_llm(fake_llm: FakeLLM) -> None:
    fake_llm.script(completion("Eleven metres per second [1]."))
    answer = llm(fake_llm).answer(UNANSWERABLE, HITS, id="q2")
    assert not answer.answered and answer.text.startswith(NOT_FOUND) and answer.id == "q2"
    base = extractive().answer(UNANSWERABLE, HITS, id="q2")
    assert answer.text == base.text and shape(answer) == shape(base)
    assert fake_llm.requests == []


def test_no_hits_is_a_refusal_without_a_call(fake_llm: FakeLLM) -> None:
    answer = llm(fake_llm).answer(QUESTION, [])
    assert not answer.answered and answer.citations == [] and fake_llm.requests == []


def test_from_settings_sends_the_secret_key(fake_llm: FakeLLM) -> None:
    from assistant.config import Settings

    settings = Settings(embedder="hash", llm_base_url=fake_llm.url, llm_model="m",
                        llm_api_key=KEY, llm_timeout=2)
    fake_llm.script(completion("It was held in Kemi on 5-6 April 2017 [1]."))
    answerer = LLMAnswerer.from_settings(settings, fallback=extractive())
    assert answerer.answer(QUESTION, HITS).answered
    assert fake_llm.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in repr(answerer)
