"""What a question reads from the index: the spelling corrector's words come from per-segment
word postings (never from the chunk texts), the structured memory is parsed kind by kind when
a question needs it. Each is checked against a brute-force oracle: the words counted in the
live chunks' text, a SymSpell of the whole vocabulary (the corrector as it was), the memory
the extractors produced at ingest."""

from __future__ import annotations

import json
import random
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from symspellpy import SymSpell

from assistant.embedding import HashingEmbedder
from assistant.ingest.pipeline import Ingestor
from assistant.memory.models import ProjectMemory
from assistant.retrieval import segment as segment_mod
from assistant.retrieval import spelling
from assistant.retrieval import store as store_mod
from assistant.retrieval.lexical import fold
from assistant.retrieval.spelling import Speller, TextVocabulary
from assistant.retrieval.store import IndexReader, IndexStore

from corpora import DEV, SMALL_CORPUS, hash_assistant, write_corpus

_LETTER_RUNS = re.compile(r"[^\W\d_]+")  # the oracle's own reading of "a word"


def _ingest(corpus: Path, index: Path) -> None:
    Ingestor(store=IndexStore(index), embedder_name="hash-256", embedder_factory=HashingEmbedder,
             progress=False, log=lambda _: None).run([corpus])


def _oracle_counts(reader: IndexReader) -> Counter[str]:
    """Words of the live chunks' text (as embedded and indexed: title, section, body)."""
    counts: Counter[str] = Counter()
    for stored in reader.all_chunks():
        counts.update(_LETTER_RUNS.findall(fold(stored.chunk.embedding_text())))
    return counts


@pytest.fixture(scope="module")
def grown(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The dev corpus ingested, then edited, shrunk and grown in later ingests: several
    segments, with the dead rows of the replaced and removed files still on disk; the memory
    each ingest extracted is kept as the oracle of what the index must give back."""
    tmp = tmp_path_factory.mktemp("reads")
    corpus = tmp / "corpus"
    shutil.copytree(DEV, corpus)
    extracted: dict[str, str] = {}
    real_update = IndexStore.update

    def update(self, base, change, **kwargs):
        extracted.update(change.memory)
        return real_update(self, base, change, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(IndexStore, "update", update)
        files = sorted(corpus.glob("*.txt"))
        files[0].write_text("Title: Quargle notes\n\nThe quargleworth depot opened in Kemi.\n",
                            "utf-8")
        _ingest(corpus, tmp / "ix")
        files[0].write_text(files[0].read_text("utf-8").replace("quargleworth", "harbour"),
                            "utf-8")  # edited: its old word is gone
        files[1].unlink()  # removed
        (corpus / "zorb.txt").write_text(
            "Title: Beekeeping rota\n\nThe zorblatts are kept by the beekeepers of Kemi. "
            "Exhibitors brought honey to the mining hall in Kemi.\n", "utf-8")
        _ingest(corpus, tmp / "ix")
        (corpus / "late.txt").write_text(
            "Title: Late note\n\nThe flimbertons of Outokumpu hosted a peer review.\n", "utf-8")
        _ingest(corpus, tmp / "ix")
    reader = IndexStore(tmp / "ix").open()
    return {"reader": reader, "extracted": extracted, "gone": {"quargleworth"},
            "removed_text": (DEV / files[1].name).read_text("utf-8")}


def test_the_index_has_segments_and_dead_rows(grown: dict) -> None:
    reader = grown["reader"]
    assert len(reader.segments) == 3
    assert reader.size < sum(s.n for s in reader.segments)


def test_vocabulary_from_segments_equals_the_words_of_the_live_chunks(grown: dict) -> None:
    reader = grown["reader"]
    oracle = _oracle_counts(reader)
    assert dict(reader.vocabulary.counts()) == dict(oracle)
    for word in list(oracle)[::7] + ["zorblatts", "flimbertons", "beekeepers"]:
        assert word in reader.vocabulary, word
    # Words only the dead rows hold (an edited file's old text, a removed file's) are on disk
    # but not known; nor is a word no document has.
    removed_only = set(_LETTER_RUNS.findall(fold(grown["removed_text"]))) - set(oracle)
    assert removed_only
    for word in sorted(grown["gone"] | removed_only | {"xylophonic"}):
        assert word not in reader.vocabulary, word


def test_vocabulary_of_a_fresh_build_comes_in_order_of_first_appearance(tmp_path: Path) -> None:
    """The order decides SymSpell's ties between equally frequent words, as it did when the
    vocabulary was counted from the texts in row order."""
    _ingest(DEV, tmp_path / "ix")
    reader = IndexStore(tmp_path / "ix").open()
    assert list(reader.vocabulary.counts().items()) == list(_oracle_counts(reader).items())


class WholeVocabularySpeller(Speller):
    """The corrector as it was: one SymSpell of every word of the vocabulary, counts from the
    texts."""

    def _index_near(self, word: str, limit: int) -> SymSpell:
        if not hasattr(self, "_whole"):
            counts = self._vocabulary.counts()
            self._whole = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
            for w, n in counts.items():
                if len(w) >= spelling.MIN_LENGTH and re.fullmatch(r"[a-z]+", w):
                    self._whole.create_dictionary_entry(w, n)
            for w in spelling.QUESTION_WORDS_EN:
                self._whole.create_dictionary_entry(w, max(counts.values()))
        return self._whole


def _typos(words: list[str], rng: random.Random, n: int) -> list[str]:
    """Words with one edit (two for long words): a letter dropped, doubled, changed or two
    swapped."""
    out = []
    letters = "abcdefghijklmnopqrstuvwxyz"
    for _ in range(n):
        word = rng.choice(words)
        for _ in range(2 if len(word) >= spelling.LONG_WORD and rng.random() < 0.5 else 1):
            i = rng.randrange(len(word) - 1)
            edit = rng.randrange(4)
            if edit == 0:
                word = word[:i] + word[i + 1:]
            elif edit == 1:
                word = word[:i] + word[i] + word[i:]
            elif edit == 2:
                word = word[:i] + rng.choice(letters) + word[i + 1:]
            else:
                word = word[:i] + word[i + 1] + word[i] + word[i + 2:]
        out.append(word)
    return out


def test_corrections_equal_a_symspell_of_the_whole_vocabulary(grown: dict) -> None:
    reader = grown["reader"]
    texts = [s.chunk.embedding_text() for s in reader.all_chunks()]
    oracle = WholeVocabularySpeller(vocabulary=TextVocabulary(lambda: texts))
    speller = Speller.for_reader(reader)
    words = sorted(w for w in _oracle_counts(reader) if len(w) >= 4 and w.isascii())
    rng = random.Random(11)
    typos = _typos(words, rng, 400) + ["zorblats", "flimbertns", "quargleworht", "wich", "hwo"]
    changed = 0
    for typo in typos:
        for question in (f"where is the {typo} of the region?", f"{typo.capitalize()} many?"):
            expected = oracle.correct(question)
            assert speller.correct(question) == expected, question
            changed += expected != question
    assert changed > 300  # most typos are corrected, so the comparison means something


def test_a_new_documents_words_correct_typos_and_a_removed_ones_no_longer(tmp_path: Path
                                                                          ) -> None:
    assistant = hash_assistant(tmp_path, SMALL_CORPUS)
    assert assistant.ask("Who keeps the zorblats?").searched_for is None
    note = assistant.settings.corpus_dir / "zorb.txt"
    note.write_text("Title: Beekeeping rota\n\nThe zorblatts are kept by the beekeepers of "
                    "Kemi.\n", encoding="utf-8")
    assistant.ingest(progress=False, log=lambda _: None)  # one small segment more
    assert len(assistant.reader().segments) == 2
    assert assistant.ask("Who keeps the zorblats?").searched_for == "Who keeps the zorblatts?"
    assistant.remove(str(note))
    assert assistant.ask("Who keeps the zorblats?").searched_for is None


def test_a_question_reads_no_chunk_text_for_spelling_and_only_the_memory_it_needs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.service import Assistant

    built = hash_assistant(tmp_path, SMALL_CORPUS)
    read_kinds: list[str] = []
    real_kind = store_mod._memory_of_kind  # what a reader's memory reads each kind with
    monkeypatch.setattr(store_mod, "_memory_of_kind",
                        lambda *args: read_kinds.append(args[-1]) or real_kind(*args))

    def no_full_read(self):
        raise AssertionError("a question read every chunk")

    monkeypatch.setattr(segment_mod.Segment, "all_rows", no_full_read)
    fresh = Assistant(settings=built.settings)  # a new process: nothing cached
    clean = fresh.ask("Where was the REMIX kick-off meeting held?")
    typo = fresh.ask("Wher was the REMIX kick-off meetng hled?")
    assert clean.answered and "Kemi" in clean.text and typo.text == clean.text
    assert set(read_kinds) == {"terms"}  # acronyms are expanded; nothing else was parsed
    nuts = fresh.ask("What is the NUTS code of Lapland?")
    assert "FI1D7" in nuts.text and set(read_kinds) == {"terms", "regions"}


def test_stored_memory_equals_the_memory_extracted_at_ingest(grown: dict) -> None:
    reader = grown["reader"]
    live = reader.files()
    oracle = ProjectMemory()
    for key in sorted(live):
        oracle.extend(ProjectMemory.from_json(json.loads(grown["extracted"][key])))
    assert oracle.terms and oracle.regions and oracle.events  # the comparison means something
    stored = reader.memory()
    assert isinstance(stored, ProjectMemory)
    assert stored.to_json() == oracle.to_json()
    some = frozenset(sorted({f.doc_id for f in live.values()})[::3])
    assert reader.memory().only_docs(some).to_json() == oracle.only_docs(some).to_json()


def test_an_index_of_an_older_format_is_rebuilt_on_first_use(tmp_path: Path) -> None:
    from assistant.service import Assistant

    built = hash_assistant(tmp_path, SMALL_CORPUS)
    manifest = built.store.current / "manifest.json"
    old = json.loads(manifest.read_text("utf-8"))
    manifest.write_text(json.dumps({**old, "format": old["format"] - 1}), "utf-8")
    for name in ("words_doc.npy", "words_tf.npy"):  # an older index has no word postings
        for segment in (built.store.current / "segments").iterdir():
            (segment / name).unlink()
    assistant = Assistant(settings=built.settings)
    assert assistant.ensure_index() is not None
    answer = assistant.ask("Wher was the REMIX kick-off meeting held?")
    assert answer.answered and "Kemi" in answer.text
    assert answer.searched_for == "Where was the REMIX kick-off meeting held?"


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs Linux's /proc")
def test_a_segments_vectors_are_memory_mapped_not_read(tmp_path: Path) -> None:
    """Opening an index costs what its metadata costs: the vectors stay in the file (shared
    with the page cache and other processes) until a search touches them."""
    _ingest(write_corpus(tmp_path / "corpus", SMALL_CORPUS), tmp_path / "ix")
    reader = IndexStore(tmp_path / "ix").open()
    dense = str((reader.segments[0].directory / "dense.faiss").resolve())
    assert dense in Path("/proc/self/maps").read_text()
    vectors = reader.segments[0].vectors()
    assert not vectors.flags.writeable
    query = HashingEmbedder().embed_query("kick-off meeting in Kemi")
    rows, scores = reader.dense_top(query, 3)
    assert len(rows) == 3 and scores[0] == pytest.approx(float((vectors @ query).max()), abs=1e-5)


def test_stored_memory_reads_items_whose_values_fall_outside_their_declared_types() -> None:
    """The fast decoder checks type hints that nothing else enforces: a role an extractor
    may one day write must not make the memory unreadable."""
    from assistant.memory.models import Region, SourceRef
    from assistant.memory.stored import StoredMemory

    source = SourceRef(chunk_id="a#0", doc_id="a", title="A", quote="Lapland (FI) FI1D7")
    regions = [Region("Lapland", source, "FI", "FI1D7", "leading"),
               Region("Kainuu", source, "FI", None, "observer")]  # not a RegionRole
    rows = [("a", json.dumps(ProjectMemory(regions=regions).to_json()["regions"]))]
    stored = StoredMemory(read=lambda kind: rows if kind == "regions" else [])
    assert stored.regions == regions and stored.events == []
    assert stored.only_docs(frozenset({"b"})).regions == []
