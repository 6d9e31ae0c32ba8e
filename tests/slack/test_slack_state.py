"""Thread memory, dedupe cache, mention handling, /remix routing and the feedback store."""

from __future__ import annotations

import io
import json
import sqlite3
import threading
from pathlib import Path

import pytest

from assistant.access import PUBLIC
from assistant.feedback import FeedbackStore
from assistant.models import NOT_FOUND
from assistant.slack.blocks import Message
from assistant.slack.slash import Invocation, SlashRouter, Subcommand
from assistant.slack.threads import (
    ThreadMemory,
    TTLSet,
    mentions,
    questions_from_replies,
    strip_mention,
)


def test_strip_mention_only_removes_the_bot() -> None:
    assert strip_mention("<@U0BOT>  when was  it?", "U0BOT") == "when was it?"
    assert strip_mention("<@U0BOT|remix> hi <@U0ANA>", "U0BOT") == "hi <@U0ANA>"
    assert mentions("hey <@U0BOT>", "U0BOT") and not mentions("hey <@U0ANA>", "U0BOT")


def test_ttl_set_expires_bounds_and_is_atomic() -> None:
    now = [0.0]
    s = TTLSet(ttl=10, max_size=3, clock=lambda: now[0])
    assert s.add("a") and not s.add("a")
    now[0] = 11
    assert "a" not in s and s.add("a")
    for k in "bcde":
        s.add(k)
    assert len(s) <= 3 and "e" in s

    shared = TTLSet()
    wins: list[bool] = []
    threads = [threading.Thread(target=lambda: wins.append(shared.add("ev"))) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wins.count(True) == 1


def test_thread_memory_history_and_lru_bound() -> None:
    m = ThreadMemory(max_threads=2, max_questions=3)
    assert m.begin(("C", "1"), "q1") == []
    assert m.begin(("C", "1"), "q2") == ["q1"]
    for q in ("q3", "q4", "q5"):
        m.begin(("C", "1"), q)
    assert m.get(("C", "1")).questions == ["q3", "q4", "q5"]
    m.begin(("C", "2"), "x")
    m.begin(("C", "3"), "y")
    assert m.get(("C", "1")) is None and m.get(("C", "3")).active
    assert m.begin(("C", "9"), "now", known=["earlier"]) == ["earlier"]


def test_questions_recovered_from_replies() -> None:
    msgs = [
        {"user": "U1", "ts": "1.0", "text": "<@UB> first?"},
        {"user": "UB", "bot_id": "BB", "ts": "1.1", "text": "answer"},
        {"user": "U2", "ts": "1.2", "text": "just chatting"},
        {"bot_id": "BX", "ts": "1.25", "text": "other bot"},
        {"user": "U1", "ts": "1.3", "text": "second?"},
        {"user": "UB", "bot_id": "BB", "ts": "1.4", "text": "answer 2"},
        {"user": "U1", "ts": "1.5", "text": "current"},
    ]
    state = questions_from_replies(msgs, bot_user_id="UB", bot_id="BB", before_ts="1.5")
    assert state.active and state.questions == ["first?", "second?"]
    none = questions_from_replies(msgs[:1], bot_user_id="UB", bot_id="BB", before_ts="1.5")
    assert not none.active


def test_slash_router_dispatch_and_plugins() -> None:
    r = SlashRouter()
    echo = lambda inv: Message(text=inv.args)  # noqa: E731
    r.add(Subcommand(name="help", usage="/remix help", summary="help", run=echo, instant=True))
    r.add(Subcommand(name="ask", usage="/remix QUESTION", summary="ask", run=echo))
    r.add(Subcommand(name="draft", usage="/remix draft SECTION", summary="draft", run=echo))
    assert r.route("")[0].name == "help"
    assert r.route("Help")[0].name == "help"
    assert r.route("draft  Impact section") == (r.route("draft x")[0], "Impact section")
    sub, args = r.route("When did REMIX start?")
    assert sub.name == "ask" and args == "When did REMIX start?"
    assert sub.run(Invocation(args=args, user_id="U", channel_id="C")).text == args
    assert "/remix draft SECTION — draft" in r.usage_lines()


def test_feedback_store_append_only_and_export(tmp_path: Path) -> None:
    store = FeedbackStore.open(tmp_path / "data")
    store.save_answer("k1", {"question": "q", "answer": "a"})
    assert store.load_answer("k1") == {"question": "q", "answer": "a"}
    assert store.load_answer("nope") is None
    src = [{"n": 1, "doc": "d.txt", "title": "D", "page": 2, "section": "", "quote": "", "url": None}]
    store.record(question="When?", answer_text="June 2019 [1]", sources=src, verdict="helpful",
                 user="U1", channel="C1", ts="1.1", answered=True, answer_key="k1")
    store.record(question="Bees?", answer_text=NOT_FOUND, sources=[], verdict="not_helpful",
                 user="U2", channel="D1", ts="2.2")
    with pytest.raises(ValueError):
        store.record(question="x", answer_text="y", sources=[], verdict="meh",  # type: ignore[arg-type]
                     user=None, channel=None, ts=None)
    with pytest.raises(sqlite3.DatabaseError), sqlite3.connect(store.path) as db:
        db.execute("UPDATE feedback SET verdict = 'helpful'")
    with pytest.raises(sqlite3.DatabaseError), sqlite3.connect(store.path) as db:
        db.execute("DELETE FROM feedback")

    out = io.StringIO()
    assert store.export_qa_jsonl(out, visibility={"d.txt": PUBLIC}) == 2
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[0] == {
        "id": "fb0001", "question": "When?", "must": [], "doc": "d.txt", "answerable": True,
        "answer": "June 2019 [1]", "verdict": "helpful", "sources": src, "user": "U1",
        "created_at": lines[0]["created_at"], "visibility": "public",
    }
    assert lines[1]["answerable"] is False and lines[1]["doc"] is None  # guessed from the answer
    path = tmp_path / "out" / "fb.jsonl"
    assert store.export_qa_jsonl(path, visibility={"d.txt": PUBLIC}) == 2
    assert len(path.read_text().splitlines()) == 2
