"""Any question text gets an answer or a refusal, never an exception: questions come from
Slack users typing anything (emoji, code, other scripts, a pasted paragraph, nothing)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.models import NOT_FOUND
from assistant.service import Assistant

from corpora import SMALL_CORPUS, hash_assistant

WORDS = ["Which", "meetings", "in", "spring", "2020", "and", "what", "does", "CRM", "stand",
         "for", "NUTS", "code", "of", "Lapland", "how", "many", "regions", "when", "Kemi", "?",
         ",", "held", "who", "(", ")", "12.2.2020", "–", "kick-off", "Västerbotten", "SE331"]


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    files = {**SMALL_CORPUS, "report.md": (
        "# Past meetings\n\n| Event | Date | Place |\n|---|---|---|\n"
        "| Kick-off | 12.2.2020 | Kemi, Finland |\n| Review | 11.3.2020 | online |\n\n"
        "Critical raw materials (CRM) matter.\n")}
    return hash_assistant(tmp_path_factory.mktemp("ask-props"), files)


def _check(answer) -> None:
    assert isinstance(answer.text, str) and answer.text
    if not answer.answered:
        assert answer.text.startswith(NOT_FOUND)
    for c in answer.citations:
        assert c.n >= 1 and c.doc_id and c.quote is not None
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", answer.text)}
    assert markers <= {c.n for c in answer.citations}  # every [n] resolves


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
def test_arbitrary_text_never_crashes(assistant: Assistant, text: str) -> None:
    _check(assistant.ask(text, history=[text[:40]]))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=25))
def test_question_shaped_text_never_crashes(assistant: Assistant, words: list[str]) -> None:
    _check(assistant.ask(" ".join(words)))
