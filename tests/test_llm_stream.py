"""Streaming LLM answers: the client reads server-sent events from the fake OpenAI-compatible
server over real HTTP, and the answerer passes on only verified drafts as the reply grows."""

from __future__ import annotations

import json

import pytest
from fake_llm import FakeLLM, Reply, completion, error, streamed
from test_llm import HITS, QUESTION, extractive, llm

from assistant.answering.llm import UNAVAILABLE_NOTE, settled_prefix
from assistant.errors import BackendError
from assistant.llm.client import ChatClient

pytest_plugins = ["fake_llm_fixtures"]

MESSAGES = [{"role": "user", "content": "hi"}]
REPLY = ("Partners from ten regions attended the kick-off meeting in Kemi [3]. "
         "Bees make honey in Kemi. "  # uncited: never shown, not even in a draft
         "It took place on 5-6 April 2017 in Kemi, Finland [1].")


def client(fake: FakeLLM, **kw: object) -> ChatClient:
    return ChatClient(base_url=fake.url, model="m", timeout=2.0, backoff=0.01, **kw)  # type: ignore[arg-type]


def test_stream_yields_the_pieces_in_order_and_asks_for_a_stream(fake_llm: FakeLLM) -> None:
    fake_llm.script(streamed(["Kemi ", "hosted ", "it [1]."], pause=0.02))
    assert list(client(fake_llm).stream(MESSAGES)) == ["Kemi ", "hosted ", "it [1]."]
    request = fake_llm.requests[0]
    assert request.body["stream"] is True and request.body["messages"] == MESSAGES
    assert request.headers["accept"] == "text/event-stream"


def test_a_stream_that_breaks_off_is_a_failure_not_a_short_answer(fake_llm: FakeLLM) -> None:
    fake_llm.script(streamed(["Kemi ", "hosted"], done=False))
    got: list[str] = []
    with pytest.raises(BackendError, match="ended before it was complete"):
        for piece in client(fake_llm).stream(MESSAGES):
            got.append(piece)
    assert got == ["Kemi ", "hosted"]


def test_an_error_event_mid_stream_is_a_failure(fake_llm: FakeLLM) -> None:
    head = streamed(["Kemi "], done=False).events or []
    fault = b"data: " + json.dumps({"error": {"message": "model overloaded"}}).encode() + b"\n\n"
    fake_llm.script(Reply(events=[*head, fault]))
    with pytest.raises(BackendError, match="model overloaded"):
        list(client(fake_llm).stream(MESSAGES))


def test_stream_is_retried_before_its_first_piece(fake_llm: FakeLLM) -> None:
    fake_llm.script(error(503), completion("Kemi [1]."))
    assert "".join(client(fake_llm).stream(MESSAGES)) == "Kemi [1]."
    assert len(fake_llm.requests) == 2


def test_a_server_that_ignores_stream_true_is_read_whole(fake_llm: FakeLLM) -> None:
    whole = completion("Kemi [1].")
    fake_llm.script(Reply(body=whole.body, headers={"Content-Type": "application/json"}))
    assert list(client(fake_llm).stream(MESSAGES)) == ["Kemi [1]."]


def test_settled_prefix_keeps_only_text_nothing_can_change() -> None:
    assert settled_prefix("Kemi [1]. It was") == "Kemi [1]. "
    assert settled_prefix("Kemi. [1") == ""  # the marker may still belong to "Kemi."
    assert settled_prefix("- one [1]\n- tw") == "- one [1]\n"
    assert settled_prefix("No stop yet") == ""


def test_drafts_are_verified_prefixes_of_the_final_answer(fake_llm: FakeLLM) -> None:
    fake_llm.script(streamed(REPLY, pause=0.005))
    drafts: list[str] = []
    answer = llm(fake_llm).answer(QUESTION, HITS, on_draft=drafts.append)

    fake_llm.script(completion(REPLY))
    unstreamed = llm(fake_llm).answer(QUESTION, HITS)
    assert answer.text == unstreamed.text  # streaming changes nothing in the answer
    assert [c.to_json() for c in answer.citations] == [c.to_json() for c in unstreamed.citations]
    assert drafts, "no draft was shown while the reply was streamed"
    assert all(answer.text.startswith(d) for d in drafts)  # numbered as in the answer
    assert all(b.startswith(a) and len(b) > len(a) for a, b in zip(drafts, drafts[1:]))
    assert not any("Bees" in d for d in drafts)
    assert drafts[0] == "Partners from ten regions attended the kick-off meeting in Kemi [1]."


def test_failure_mid_stream_gives_the_extractive_answer_with_its_note(fake_llm: FakeLLM) -> None:
    fake_llm.script(streamed(REPLY[:90], done=False))
    drafts: list[str] = []
    answer = llm(fake_llm).answer(QUESTION, HITS, on_draft=drafts.append)
    base = extractive().answer(QUESTION, HITS)
    assert answer.text == f"{base.text}\n{UNAVAILABLE_NOTE}"
    assert drafts == ["Partners from ten regions attended the kick-off meeting in Kemi [1]."]


def test_a_failing_draft_consumer_never_loses_the_answer(fake_llm: FakeLLM) -> None:
    fake_llm.script(streamed(REPLY))

    def broken(_: str) -> None:
        raise RuntimeError("slack is down")

    answer = llm(fake_llm).answer(QUESTION, HITS, on_draft=broken)
    assert answer.text.startswith("Partners from ten regions") and answer.citations
