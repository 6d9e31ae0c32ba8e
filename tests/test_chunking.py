"""Chunking: sections, sizes, overlap, tables and form answers kept whole, offsets, speed."""

from __future__ import annotations

import io
import re
import time
from itertools import pairwise
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from assistant.ingest import chunk_document, load_document
from assistant.models import Block, Chunk, Document

DATA = Path(__file__).parent / "data"
SEED = DATA / "samples" / "s3-mining-partnership-monitoring-report-2020-h1.txt"
DEV = sorted((DATA / "dev").glob("*.txt"))


def load_text(tmp_path: Path, text: str, name: str = "doc.md") -> Document:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_document(path, root=tmp_path)


def sentences(topic: str, n: int, start: int = 0) -> str:
    """n distinct ten-word sentences, so overlap and order can be checked exactly."""
    return " ".join(
        f"Sentence {i} about {topic} says the region invests in mining."
        for i in range(start, start + n)
    )


def words(chunk: Chunk) -> int:
    return len(chunk.text.split())


def assert_offsets(doc: Document, chunks: list[Chunk]) -> None:
    for chunk in chunks:
        span = doc.text[chunk.start : chunk.end]
        head = " ".join(chunk.text.split()[:3])
        assert " ".join(span.split()).find(head) >= 0, (chunk.chunk_id, head, span[:80])


@pytest.fixture(scope="module")
def seed() -> tuple[Document, list[Chunk]]:
    doc = load_document(SEED, root=SEED.parent)
    return doc, chunk_document(doc)


# --- interface and metadata ----------------------------------------------------------------


def test_chunk_ids_and_document_metadata(tmp_path: Path) -> None:
    doc = load_text(
        tmp_path, f"Title: Mines\nSource: https://example.org/m\n\n{sentences('ore', 80)}", "m.txt"
    )
    chunks = chunk_document(doc)
    assert len(chunks) > 1
    assert [c.chunk_id for c in chunks] == [f"m.txt#{i}" for i in range(len(chunks))]
    for chunk in chunks:
        assert (chunk.doc_id, chunk.title, chunk.url) == ("m.txt", "Mines", "https://example.org/m")
        assert chunk.page is None and chunk.kind == "text"


def test_tiny_document_gives_one_chunk(tmp_path: Path) -> None:
    chunks = chunk_document(load_text(tmp_path, "Kemi hosted the kick-off."))
    assert [c.text for c in chunks] == ["Kemi hosted the kick-off."]


def test_heading_only_document_still_gives_a_chunk(tmp_path: Path) -> None:
    chunks = chunk_document(load_text(tmp_path, "# Mining regions\n"))
    assert [(c.text, c.section) for c in chunks] == [("Mining regions", "Mining regions")]


def test_invalid_parameters(tmp_path: Path) -> None:
    doc = load_text(tmp_path, "Some text.")
    with pytest.raises(ValueError):
        chunk_document(doc, max_words=100, min_words=200)
    with pytest.raises(ValueError):
        chunk_document(doc, max_words=50, overlap_words=50)


def test_blockless_document_is_chunked_as_text() -> None:
    doc = Document("raw.txt", "Raw", "One sentence. Two sentences.", [])
    assert [c.text for c in chunk_document(doc)] == ["One sentence. Two sentences."]


# --- sizes, sentence boundaries, overlap ---------------------------------------------------


def test_prose_chunks_respect_word_bounds_and_sentences(tmp_path: Path) -> None:
    doc = load_text(tmp_path, sentences("lithium", 100))  # 1000 words, one section
    chunks = chunk_document(doc, max_words=300, min_words=150, overlap_words=40)
    assert len(chunks) >= 4
    for chunk in chunks:
        assert 150 <= words(chunk) <= 300, words(chunk)
        assert chunk.text.startswith("Sentence ") and chunk.text.endswith(
            "mining."
        )  # never mid-sentence
    assert_offsets(doc, chunks)


def test_overlap_carries_trailing_sentences(tmp_path: Path) -> None:
    doc = load_text(tmp_path, sentences("cobalt", 60))
    chunks = chunk_document(doc, max_words=200, min_words=100, overlap_words=40)
    assert len(chunks) >= 2
    for prev, nxt in pairwise(chunks):
        last = re.findall(r"Sentence \d+ [^.]*\.", prev.text)[-1]
        first_new = re.findall(r"Sentence \d+ [^.]*\.", nxt.text)
        assert last in first_new[:4], "the previous chunk's last sentence opens the next one"
        shared = set(re.findall(r"Sentence (\d+) ", prev.text)) & set(
            re.findall(r"Sentence (\d+) ", nxt.text)
        )
        assert 1 <= len(shared) * 10 <= 40


def test_no_overlap_across_sections(tmp_path: Path) -> None:
    text = f"# Alpha\n\n{sentences('alpha', 20)}\n\n# Beta\n\n{sentences('beta', 20, start=100)}"
    chunks = chunk_document(load_text(tmp_path, text))
    beta = [c for c in chunks if c.section == "Beta"]
    assert beta and "alpha" not in beta[0].text


def test_giant_sentence_is_cut_by_words(tmp_path: Path) -> None:
    giant = " ".join(f"w{i}" for i in range(700)) + "."
    chunks = chunk_document(load_text(tmp_path, giant), max_words=300, min_words=150)
    assert all(words(c) <= 300 for c in chunks)
    assert " ".join(" ".join(c.text for c in chunks).split()).startswith("w0 w1 w2")
    assert {w for c in chunks for w in c.text.split()} >= {"w0", "w350", "w699."}


# --- headings and sections -----------------------------------------------------------------


def test_heading_paths(tmp_path: Path) -> None:
    text = (
        f"# Management report\n\n## Working areas\n\n{sentences('areas', 12)}\n\n"
        f"## Events\n\n{sentences('events', 12)}\n\n### Past events\n\n{sentences('past', 12)}\n\n"
        f"# Progress report\n\n{sentences('progress', 12)}\n"
    )
    chunks = chunk_document(load_text(tmp_path, text), max_words=300, min_words=150)
    by_topic = {
        topic: [c.section for c in chunks if f"about {topic}" in c.text]
        for topic in ("areas", "events", "past", "progress")
    }
    assert by_topic["areas"] == ["Management report > Working areas"]
    assert by_topic["events"] == ["Management report > Events"]
    assert by_topic["past"] == ["Management report > Events > Past events"]
    assert by_topic["progress"] == ["Progress report"]


def test_short_sections_are_merged(tmp_path: Path) -> None:
    text = (
        "# One\n\nShort intro.\n\n## Two\n\nAnother short part.\n\n## Three\n\nA third short part."
    )
    chunks = chunk_document(load_text(tmp_path, text))
    assert len(chunks) == 1
    assert chunks[0].section == "One"
    assert "Two" in chunks[0].text and "A third short part." in chunks[0].text


def test_top_level_change_splits_a_substantial_chunk(tmp_path: Path) -> None:
    text = f"# First\n\n{sentences('first', 9)}\n\n# Second\n\n{sentences('second', 9)}"
    chunks = chunk_document(load_text(tmp_path, text), max_words=300, min_words=150)
    assert [c.section for c in chunks] == ["First", "Second"]
    assert chunks[1].text.startswith("Second\n")


# --- tables --------------------------------------------------------------------------------


def table_doc(tmp_path: Path, rows: int) -> Document:
    lines = [
        "Please provide information regarding past meetings, workshops and dissemination "
        "activities",
        "",
        "\tEvent\tDate\tPlace\tAny other information",
    ]
    lines += [
        f"{i}\tMeeting number {i} on regional mining plans\t{i}.3.2020\tKemi, Finland\t"
        for i in range(1, rows + 1)
    ]
    lines += [f"{i}\t\t\t\t" for i in range(rows + 1, rows + 4)]
    return load_text(
        tmp_path,
        "# Events\n\n" + sentences("events", 3) + "\n\n" + "\n".join(lines) + "\n",
        "t.txt",
    )


def test_table_rows_whole_with_caption(tmp_path: Path) -> None:
    doc = table_doc(tmp_path, rows=3)
    tables = [c for c in chunk_document(doc) if c.kind == "table"]
    assert len(tables) == 1
    lines = tables[0].text.split("\n")
    assert lines[0].startswith("Please provide information regarding past meetings")
    assert (
        lines[1]
        == "Event: Meeting number 1 on regional mining plans; Date: 1.3.2020; Place: Kemi, Finland"
    )
    assert len(lines) == 4  # caption + 3 rows; the empty numbered rows are dropped
    assert tables[0].section == "Events"
    assert_offsets(doc, tables)


def test_long_table_split_between_rows_and_caption_repeated(tmp_path: Path) -> None:
    doc = table_doc(tmp_path, rows=40)
    tables = [
        c
        for c in chunk_document(doc, max_words=120, min_words=60, overlap_words=20)
        if c.kind == "table"
    ]
    assert len(tables) > 2
    rows = []
    for chunk in tables:
        assert words(chunk) <= 120
        first, *body = chunk.text.split("\n")
        assert first.startswith("Please provide information regarding past meetings")
        assert all(
            re.fullmatch(r"Event: Meeting number \d+ .*; Date: [\d.]+; Place: Kemi, Finland", r)
            for r in body
        )
        rows += body
    assert len(rows) == 40 and len(set(rows)) == 40
    assert all("Meeting number" not in c.text for c in chunk_document(doc) if c.kind == "text")


def test_caption_is_not_repeated_in_text_chunks(tmp_path: Path) -> None:
    chunks = chunk_document(table_doc(tmp_path, rows=2))
    caption = "Please provide information regarding past meetings"
    assert sum(caption in c.text for c in chunks) == 1


# --- form answers --------------------------------------------------------------------------


def test_qa_block_never_split(tmp_path: Path) -> None:
    answer = "\n".join(f"Region {i} (FI) FI1D{i}" for i in range(25))  # 100 words of answer lines
    question = "*** Please provide the list of participating regions.**"
    text = f"{sentences('intro', 15)}\n\n{question}\n\n{answer}\n"
    doc = load_text(tmp_path, text, "f.txt")
    [qa_block] = [b for b in doc.blocks if b.kind == "qa"]
    chunks = chunk_document(doc, max_words=60, min_words=30, overlap_words=10)
    holders = [c for c in chunks if "Region 0 (FI)" in c.text]
    assert len(holders) == 1 and qa_block.text in holders[0].text
    assert holders[0].kind == "qa"


def test_short_answers_stay_with_questions(tmp_path: Path) -> None:
    text = (
        "* Reporting period\n\nJanuary - June 2020\n\n"
        "* Please select the name of your partnership\n\nMining industry\n"
    )
    chunks = chunk_document(load_text(tmp_path, text, "q.txt"))
    assert chunks[0].text == (
        "Reporting period: January - June 2020\n"
        "Please select the name of your partnership: Mining industry"
    )
    assert chunks[0].kind == "qa"


# --- PDF pages -----------------------------------------------------------------------------


def test_chunk_page_is_page_of_first_block(tmp_path: Path) -> None:
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4)
    for page, topic in enumerate(("nickel", "copper", "zinc"), start=1):
        y = 800
        pdf.drawString(72, y, f"Chapter {page} {topic.title()}")
        for i in range(20):
            y -= 14
            pdf.drawString(
                72, y, f"Sentence {i} about {topic} on page {page} says the region invests."
            )
        pdf.showPage()
    pdf.save()
    path = tmp_path / "three.pdf"
    path.write_bytes(buf.getvalue())
    doc = load_document(path, root=tmp_path)
    chunks = chunk_document(doc, max_words=150, min_words=80, overlap_words=20)
    for chunk in chunks:
        first = re.search(r"on page (\d)", chunk.text)
        assert first and chunk.page == int(first.group(1))
    assert {c.page for c in chunks} == {1, 2, 3}
    assert_offsets(doc, chunks)


# --- the seed report -----------------------------------------------------------------------


def test_seed_reporting_period_in_one_chunk(seed: tuple[Document, list[Chunk]]) -> None:
    _, chunks = seed
    assert sum("Reporting period: January - June 2020" in c.text for c in chunks) == 1


def test_seed_participating_regions_with_question(seed: tuple[Document, list[Chunk]]) -> None:
    _, chunks = seed
    [chunk] = [c for c in chunks if "Västerbotten (SE) SE331" in c.text]
    assert "Please provide the list of participating regions." in chunk.text
    assert "Lapland (FI) FI1D7" in chunk.text and "Stereia Ellada (GR) EL24" in chunk.text
    assert chunk.section.startswith("I. Management report")


def test_seed_past_events_table(seed: tuple[Document, list[Chunk]]) -> None:
    _, chunks = seed
    row = "Event: Results of the scoping note - next step; Date: 12-13.2.2020; Place: Kemi, Finland"
    [chunk] = [c for c in chunks if row in c.text]
    assert chunk.kind == "table"
    assert chunk.text.startswith("Please provide information regarding past meetings, workshops")
    assert chunk.section == "I. Management report"


def test_seed_sdg_rows(seed: tuple[Document, list[Chunk]]) -> None:
    _, chunks = seed
    sdg = [
        c for c in chunks if "Goal 1. End poverty in all its forms everywhere: Neutral" in c.text
    ]
    assert len(sdg) == 1 and sdg[0].kind == "table"
    assert (
        "Goal 17. Strengthen the means of implementation and revitalise the Global Partnership for "
        "Sustainable Development: Strongly agree" in " ".join(c.text for c in chunks)
    )
    assert sdg[0].text.startswith("Please indicate to which Sustainable Development Goals")
    assert "input" not in " ".join(c.text for c in chunks)


def test_seed_sections_and_offsets(seed: tuple[Document, list[Chunk]]) -> None:
    doc, chunks = seed
    sections = {c.section for c in chunks}
    assert (
        "I. Management report > "
        "Please provide the executive summary and the objectives of your partnership" in sections
    )
    assert any(s.startswith("II. Progress report") for s in sections)
    assert all(words(c) <= 300 for c in chunks)
    assert_offsets(doc, chunks)


# --- the dev corpus ------------------------------------------------------------------------


@pytest.mark.parametrize("path", DEV, ids=lambda p: p.name)
def test_dev_corpus_chunks(path: Path) -> None:
    doc = load_document(path, root=path.parent)
    chunks = chunk_document(doc)
    assert chunks
    for chunk in chunks:
        assert chunk.text.strip()
        one_unit = chunk.kind in ("table", "qa") and chunk.text.count("\n") <= 1
        assert words(chunk) <= 350 or one_unit, (chunk.chunk_id, words(chunk))
    assert_offsets(doc, chunks)


def test_chunking_is_fast() -> None:
    docs = [load_document(p, root=p.parent) for p in DEV]
    started = time.perf_counter()
    for doc in docs:
        chunk_document(doc)
    assert time.perf_counter() - started < 0.5


def hand_doc(parts: list[tuple[str, str]]) -> Document:
    """A Document built directly from (kind, text) blocks, as another loader might."""
    text, blocks = "", []
    for kind, part in parts:
        text += "\n\n" if text else ""
        blocks.append(
            Block(kind, part, None, 1 if kind == "heading" else 0, len(text), len(text) + len(part))
        )
        text += part
    return Document("hand.txt", "Hand", text, blocks, url="https://x.org")


def test_table_led_by_nearest_heading() -> None:
    doc = hand_doc(
        [
            ("heading", "Intro"),
            ("text", sentences("intro", 8)),
            ("heading", "Regions"),
            ("table_row", "Region: Lapland; Code: FI1D7"),
        ]
    )
    chunks = chunk_document(doc)
    assert [(c.kind, c.section) for c in chunks] == [("text", "Intro"), ("table", "Regions")]
    assert chunks[1].text == "Regions\nRegion: Lapland; Code: FI1D7"
    assert_offsets(doc, chunks)


def test_table_led_by_paragraph_before_it() -> None:
    doc = hand_doc(
        [
            ("heading", "Intro"),
            ("text", "The regions are listed below."),
            ("table_row", "Region: Lapland; Code: FI1D7"),
        ]
    )
    chunks = chunk_document(doc)
    assert [(c.kind, c.section, c.text) for c in chunks] == [
        ("table", "Intro", "The regions are listed below.\nRegion: Lapland; Code: FI1D7")
    ]
