"""Block Kit rendering: limits, splitting, source lines, fallbacks."""

from __future__ import annotations

import json
import re

import pytest

from assistant.models import NOT_FOUND, Answer, Citation
from assistant.slack import blocks
from assistant.slack.blocks import render_answer, source_line, split_text


def cite(n: int, *, url: str | None = None, page: int | None = None, section: str = "") -> Citation:
    return Citation(n=n, doc_id=f"d{n}.txt", title=f"Doc {n}", quote="q", url=url, page=page, section=section)


def sections(msg: blocks.Message) -> list[str]:
    return [b["text"]["text"] for b in msg.blocks if b["type"] == "section"]


def test_short_answer_layout() -> None:
    a = Answer(question="q", text="REMIX ended in June 2019 [1].", answered=True,
               citations=[cite(1, url="https://e.org/a", page=3, section="News")])
    msg = render_answer(a, key="k1")
    assert [b["type"] for b in msg.blocks] == ["section", "context", "actions"]
    assert sections(msg) == ["REMIX ended in June 2019 [1]."]
    ctx = [e["text"] for e in msg.blocks[1]["elements"]]
    assert ctx == ["*Sources:*", "[1] <https://e.org/a|Doc 1> — p. 3 / News"]
    actions = msg.blocks[2]["elements"]
    assert [e["action_id"] for e in actions] == [blocks.ACTION_HELPFUL, blocks.ACTION_NOT_HELPFUL]
    assert {e["value"] for e in actions} == {"k1"}
    assert msg.text.startswith("REMIX ended in June 2019 [1].") and "Sources:" in msg.text


def test_source_line_plain_without_url_and_escaped() -> None:
    assert source_line(cite(2)) == "[2] Doc 2"
    c = Citation(n=3, doc_id="x", title="R&D <plan> | 2020", quote="", url="https://e.org/?a=1&b=2")
    assert source_line(c) == "[3] <https://e.org/?a=1&b=2|R&amp;D &lt;plan&gt; ¦ 2020>"
    assert source_line(Citation(n=4, doc_id="x", title="T", quote="", url="file:///local")) == "[4] T"


def test_mrkdwn_is_escaped() -> None:
    a = Answer(question="q", text="a < b & c > d", answered=True)
    assert sections(render_answer(a, key=None)) == ["a &lt; b &amp; c &gt; d"]


def test_not_found_lists_nearest_sources() -> None:
    a = Answer(question="q", text=NOT_FOUND, answered=False, citations=[cite(1), cite(2)])
    msg = render_answer(a, key="k")
    assert sections(msg) == [NOT_FOUND]
    assert msg.blocks[1]["elements"][0]["text"] == "*Nearest sources:*"
    assert "Nearest sources:" in msg.text


def test_split_prefers_paragraphs_then_sentences_and_loses_nothing() -> None:
    para = " ".join(f"Sentence {i} is here." for i in range(150))  # ~3000 chars
    text = f"{para}\n\n{para}\n\nShort end."
    chunks = split_text(text)
    assert all(len(c) <= 3000 for c in chunks)
    assert " ".join(chunks).split() == text.split()
    assert all(c.endswith(".") for c in chunks)  # cut on sentence ends, never mid-sentence


def test_split_counts_escaped_length_and_hard_cuts_unbreakable_text() -> None:
    assert all(len(blocks.escape(c)) <= 3000 for c in split_text("&" * 5000))
    chunks = split_text("x" * 7000)
    assert [len(c) for c in chunks] == [3000, 3000, 1000]


def test_many_sources_truncated_with_and_n_more() -> None:
    a = Answer(question="q", text="t", answered=True, citations=[cite(i) for i in range(1, 31)])
    msg = render_answer(a, key="k")
    ctx = [b for b in msg.blocks if b["type"] == "context"]
    elements = [e["text"] for b in ctx for e in b["elements"]]
    assert all(len(b["elements"]) <= 10 for b in ctx)
    assert elements[-1] == "…and 20 more" and elements[1] == "[1] Doc 1"
    assert sum(e.startswith("[") for e in elements) == 10


def test_block_budget_respected_for_huge_answers() -> None:
    huge = "\n\n".join("word " * 590 for _ in range(80))  # ~80 sections worth
    a = Answer(question="q", text=huge, answered=True, citations=[cite(i) for i in range(1, 25)])
    msg = render_answer(a, key="k", header="*Q:* q", share=True)
    assert len(msg.blocks) <= 50
    assert all(len(t) <= 3000 for t in sections(msg))
    assert sections(msg)[-1].endswith("_(answer truncated)_")
    assert msg.blocks[-1]["type"] == "actions" and len(msg.text) <= 40000
    assert len(json.dumps(msg.blocks)) < 200_000


def test_feedback_note_replaces_buttons_and_share_button() -> None:
    a = Answer(question="q", text="t", answered=True)
    msg = render_answer(a, key="k", feedback_note="Thanks")
    assert msg.blocks[-1] == {"type": "context", "elements": [{"type": "mrkdwn", "text": "Thanks"}]}
    share = render_answer(a, key="k", share=True).blocks[-1]["elements"][0]
    assert share["action_id"] == blocks.ACTION_SHARE and share["style"] == "primary"


def test_button_value_limit() -> None:
    with pytest.raises(ValueError):
        blocks.button("x", "a", "v" * 2001)


def test_help_and_home() -> None:
    msg = blocks.help_message(["/remix help — help", "/remix QUESTION — ask"])
    assert "/remix QUESTION" in msg.text and msg.blocks
    view = blocks.home_view()
    text = json.dumps(view)
    assert view["type"] == "home" and "MIREU" in text and "S3 Mining" in text
    assert sum(q in text for q in blocks.EXAMPLE_QUESTIONS) >= 4


def test_simple_message_escapes_and_respects_limits() -> None:
    msg = blocks.simple("a < b " + "&" * 4000)
    assert msg.text.startswith("a &lt; b &amp;")
    assert all(len(b["text"]["text"]) <= 3000 for b in msg.blocks)


# --------------------------------------------------------------------------- long content

LINK = re.compile(r"<[^<>]*>")


def squeeze(text: str) -> str:
    return "".join(text.split())


def test_split_never_cuts_links_styles_code_or_characters() -> None:
    unit = ("See <https://example.org/a_b?x=1&amp;y=2|the *REMIX* report> and `code span` and "
            "*bold words here* with 🇫🇮 flags, 👩‍🔬 and café. ")
    text = unit * 120  # ~14,000 chars, forcing cuts in the middle of the units
    for limit in (3000, 257, 101):
        pieces = blocks.split_exact(text, limit, escaped=True)
        assert "".join(pieces) == text  # nothing lost, duplicated or reordered
        assert all(blocks.utf16_len(p) <= limit for p in pieces)
        for p in pieces:
            assert p.count("<") == p.count(">") and p.count("`") % 2 == 0
            assert p.count("*") % 2 == 0, p
            assert "\u200d" not in (p[0], p[-1]) and not p.startswith("\U0001F1EE")
            assert all(m.group() in text for m in LINK.finditer(p))
    raw = ("Plain R&D <text> with *stars* and `ticks`. " * 400)
    for piece in blocks.split_exact(raw, 500):
        assert len(blocks.escape(piece)) <= 500 and piece.count("`") % 2 == 0


def test_long_answer_continues_in_further_messages_within_every_limit() -> None:
    paragraph = " ".join(f"Sentence {i} about the <Kemi> & Lapland *mining* region [1]." for i in range(60))
    text = "\n\n".join(f"{n}. {paragraph}" for n in range(40))  # ~170,000 chars
    a = Answer(question="q", text=text, answered=True, citations=[cite(i) for i in range(1, 31)])
    messages = blocks.answer_messages(a, key="k9")
    assert len(messages) > 1
    for m in messages:
        assert 0 < len(m.blocks) <= 50 and 0 < len(m.text) <= 40000
        assert all(len(t) <= 3000 for t in sections(m))
        assert all(len(b["elements"]) <= 10 for b in m.blocks if b["type"] == "context")
    shown = "".join(t for m in messages for t in sections(m))
    unescaped = shown.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert squeeze(unescaped) == squeeze(text)  # the whole answer, in order, once
    assert "truncated" not in shown
    last = messages[-1]
    assert last.blocks[-1]["type"] == "actions" and last.blocks[-1]["elements"][0]["value"] == "k9"
    assert any(b["type"] == "context" and "Sources" in b["elements"][0]["text"] for b in last.blocks)
    assert all(b["type"] == "section" for m in messages[:-1] for b in m.blocks)


def test_short_answer_is_one_message_as_before() -> None:
    a = Answer(question="q", text="REMIX ended in June 2019 [1].", answered=True, citations=[cite(1)])
    assert blocks.answer_messages(a, key="k") == [render_answer(a, key="k")]


def test_long_draft_with_links_splits_within_limits_and_keeps_every_link() -> None:
    from assistant.slack.drafts import draft_messages, markdown_to_mrkdwn

    row = "| [Kick-off meeting in Kemi](https://example.org/events/kick_off?a=1) | 5-6 April 2017 | Kemi |"
    markdown = "# Past events\n\n| Event | Date | Place |\n|---|---|---|\n" + "\n".join([row] * 700)
    markdown += "\n\n" + " ".join(f"The **partners** met [{i}]." for i in range(2000))
    messages = draft_messages(markdown)
    assert len(messages) > 1
    for m in messages:
        assert 0 < len(m.blocks) <= 50 and len(m.text) <= 40000
        for t in sections(m):
            assert len(t) <= 3000 and t.count("<") == t.count(">") and t.count("*") % 2 == 0
            assert all(link.group() == "<https://example.org/events/kick_off?a=1|Kick-off meeting in Kemi>"
                       for link in LINK.finditer(t))
    shown = "".join(t for m in messages for t in sections(m))
    assert squeeze(shown) == squeeze(markdown_to_mrkdwn(markdown))
