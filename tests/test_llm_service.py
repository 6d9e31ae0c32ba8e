"""`Assistant.ask` with ASSISTANT_LLM_BASE_URL set to the fake server: the wiring end to end."""

from __future__ import annotations

from pathlib import Path

from corpora import write_corpus
from fake_llm import FakeLLM, completion, error

from assistant.answering.llm import UNAVAILABLE_NOTE
from assistant.config import Settings
from assistant.service import Assistant

pytest_plugins = ["fake_llm_fixtures"]

KEY = "sk-service-31415926"
QUESTION = "When was the REMIX kick-off meeting held?"


def assistant(tmp_path: Path, fake: FakeLLM) -> Assistant:
    settings = Settings(embedder="hash", corpus_dir=write_corpus(tmp_path / "corpus"),
                        index_dir=tmp_path / "index", data_dir=tmp_path / "data",
                        cache_dir=tmp_path / "cache", llm_base_url=fake.url, llm_model="tiny",
                        llm_api_key=KEY, llm_timeout=2)
    a = Assistant(settings=settings)
    a.ingest()
    return a


def test_ask_uses_the_llm_and_cites_the_chunk(tmp_path: Path, fake_llm: FakeLLM) -> None:
    fake_llm.script(completion("The kick-off took place in Kemi, Finland, on 5-6 April 2017 [1]."))
    answer = assistant(tmp_path, fake_llm).ask(QUESTION)
    assert answer.text == "The kick-off took place in Kemi, Finland, on 5-6 April 2017 [1]."
    (citation,) = answer.citations
    assert citation.doc_id == "kickoff.txt"
    assert citation.quote == ("The REMIX kick-off meeting was held in Kemi, Finland, "
                              "on 5-6 April 2017.")
    request = fake_llm.requests[0]
    assert request.body["model"] == "tiny" and request.headers["authorization"] == f"Bearer {KEY}"


def test_ask_falls_back_when_the_llm_fails(tmp_path: Path, fake_llm: FakeLLM) -> None:
    fake_llm.default = error(500)
    answer = assistant(tmp_path, fake_llm).ask(QUESTION)
    assert answer.answered and answer.text.endswith(UNAVAILABLE_NOTE)
    assert "Kemi" in answer.text and answer.citations[0].doc_id == "kickoff.txt"
    assert len(fake_llm.requests) == 2  # retried once
