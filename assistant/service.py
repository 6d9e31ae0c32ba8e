"""The one facade the edges (CLI, Slack, eval, bench) call: ingest, search, ask, the structured
memory (events, regions, glossary), drafts, and documents added at run time.

It owns the loaded index and the query embedder, so a long-running process (the Slack bot)
loads them once, and it notices when an ingest has swapped in a new index version. Every read
takes an `Audience`: what it returns comes only from documents that audience may see (None is
the unrestricted CLI).
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from .access import PUBLIC, Audience, Visibility
from .answering.calibration import Calibrator
from .answering.compound import answer_parts, split_question
from .answering.extractive import ExtractiveAnswerer
from .answering.followup import contextualise
from .answering.llm import LLMAnswerer
from .answering.structured import StructuredAnswerer, expand_acronyms
from .config import Settings, load_settings, missing_index_message
from .embedding import Embedder, embedder_name, make_embedder, make_query_embedder
from .errors import IndexMissingError, UploadRejected
from .ingest.journal import CorpusJournal
from .ingest.pipeline import IngestReport, Ingestor
from .ingest.uploads import AddedDocument, accept_upload, safe_name
from .memory.models import Event, Period, ProjectMemory
from .memory.query import dedupe_events, event_sort_key
from .models import Answer, Hit, ProseWriter
from .retrieval.search import HybridSearcher, Reranker
from .retrieval.spelling import Speller
from .retrieval.store import FileRecord, IndexReader, IndexStore

if TYPE_CHECKING:
    from .drafting import Draft
    from .ingest.removal import Removed


@dataclass(frozen=True, slots=True)
class IndexedDocument:
    """One document as the index knows it: what `/remix sources` lists."""

    doc_id: str
    title: str
    chunks: int
    url: str | None = None
    visibility: Visibility = PUBLIC  # a restricted file's, if any (see visible_doc_ids)
    files: tuple[str, ...] = ()  # absolute paths as indexed
    modified: datetime | None = None  # its newest file's modification time when indexed
    added: datetime | None = None  # when its current content was indexed (newest of its files)


@dataclass(frozen=True, slots=True)
class SourcesOverview:
    """What an audience can ask about: its documents (by title) and when the index was built."""

    documents: list[IndexedDocument]
    built: datetime | None  # the manifest's "created" time of the index version in use
    embedder: str = ""

    @property
    def chunks(self) -> int:
        return sum(d.chunks for d in self.documents)


def _file_facts(records: list[FileRecord]) -> dict:
    """A document's files, visibility and date for `IndexedDocument`."""
    restricted = [r.visibility for r in records if r.visibility.restricted]
    newest = max(r.mtime_ns for r in records)
    indexed = max((r.indexed_at for r in records if r.indexed_at), default=None)
    return {"files": tuple(sorted(r.file_key for r in records)),
            "visibility": restricted[0] if restricted else PUBLIC,
            "modified": datetime.fromtimestamp(newest / 1e9).astimezone() if newest else None,
            "added": datetime.fromisoformat(indexed).astimezone() if indexed else None}


class Assistant:
    def __init__(
        self,
        *,
        settings: Settings,
        query_embedder: Embedder | None = None,
        ingest_embedder_factory: Callable[[], Embedder] | None = None,
        reranker: Reranker | None = None,
    ) -> None:
        self.settings = settings
        self.store = IndexStore(settings.index_dir)
        self._query_embedder = query_embedder
        self._ingest_embedder_factory = ingest_embedder_factory
        self._reranker = reranker
        self._reader: IndexReader | None = None
        self._version: str | None = None
        self._lock = threading.Lock()
        self.calibrator: Calibrator | None = None  # None: the shipped one for the embedder
        self._spelling: tuple[IndexReader, Speller] | None = None  # per index version
        self._search_lock = threading.Lock()
        # The corpus's change journal, once `watch_corpus` started it: ingests of the corpus
        # then look only at what changed (ingest/journal.py).
        self.journal: CorpusJournal | None = None

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> "Assistant":
        return cls(settings=settings or load_settings())

    # -- embedders ------------------------------------------------------------------------

    @property
    def embedder_name(self) -> str:
        if self._query_embedder is not None:
            return self._query_embedder.name
        return embedder_name(self.settings.embedder)

    def _make_ingest_embedder(self) -> Embedder:
        if self._ingest_embedder_factory is not None:
            return self._ingest_embedder_factory()
        return make_embedder(self.settings.embedder, cache_dir=self.settings.cache_dir,
                             batch_size=self.settings.batch_size)

    def _query(self) -> Embedder:
        if self._query_embedder is None:
            self._query_embedder = make_query_embedder(self.settings.embedder,
                                                       cache_dir=self.settings.cache_dir)
        return self._query_embedder

    def _make_reranker(self) -> Reranker | None:
        if self._reranker is None and self.settings.reranker:
            from .retrieval.rerank import CrossEncoderReranker

            self._reranker = CrossEncoderReranker(model=self.settings.reranker)
        return self._reranker

    # -- ingest ---------------------------------------------------------------------------

    def ingest(self, paths: Sequence[Path] | None = None, *, progress: bool | None = None,
               log: Callable[[str], None] | None = None) -> IngestReport:
        ingestor = Ingestor(
            store=self.store,
            embedder_name=self.embedder_name,
            embedder_factory=self._make_ingest_embedder,
            batch_size=self.settings.batch_size,
            progress=progress,
            log=log or (lambda line: print(line, file=sys.stderr)),
            access_file=self.settings.access_file,
            corpus_root=self.settings.corpus_dir,
            lock_timeout=self.settings.ingest_lock_timeout,
            max_file_bytes=self.settings.max_file_bytes,
            journal=self.journal,
        )
        return ingestor.run(list(paths) if paths else [self.settings.corpus_dir])

    def watch_corpus(self, *, log: Callable[[str], None] | None = None) -> CorpusJournal:
        """Keep a change journal of the corpus dir from the next ingest on, so that later
        ingests of the corpus look only at the names that changed instead of walking it (for
        long-running processes: the bot, `remix-assistant watch`)."""
        if self.journal is None:
            self.journal = CorpusJournal(
                root=self.settings.corpus_dir, access_file=self.settings.access_file,
                log=log or (lambda line: print(line, file=sys.stderr)))
        return self.journal

    def ensure_index(self, *, progress: bool | None = None) -> IngestReport | None:
        """Build the index from the corpus dir if there is none (the first `ask`), or rebuild it
        when it was written by an older version in a format this one cannot read (the index is
        derived data; the corpus is the source of truth)."""
        if self.store.exists() and self.store.format_is_current():
            return None
        if not self.settings.corpus_dir.is_dir():
            raise IndexMissingError(missing_index_message(self.settings))
        return self.ingest(progress=progress)

    # -- ask ------------------------------------------------------------------------------

    def reader(self) -> IndexReader:
        """The current index version, reopened when an ingest has swapped in a new one."""
        with self._lock:
            version = os.readlink(self.store.current) if self.store.current.is_symlink() else None
            if self._reader is None or version != self._version:
                reader = self.store.open()
                reader.check_embedder(self.embedder_name)
                # The old reader is not closed here: another thread may be mid-question on it.
                # Dropping the reference lets it close when the last user is done.
                self._reader, self._version = reader, version
            return self._reader

    def search(self, query: str, *, k: int | None = None,
               audience: Audience | None = None) -> list[Hit]:
        """Hybrid search over the chunks `audience` may see (all, when None: the CLI)."""
        reader = self.reader()
        allowed = reader.allowed_rows(audience or Audience.everyone())
        searcher = HybridSearcher(reader=reader, embedder=self._query(),
                                  reranker=self._make_reranker(), allowed=allowed)
        with self._search_lock:  # the query encoder is not known to be thread-safe
            return searcher.search(query, k=k or self.settings.k)

    def _writer(self) -> ProseWriter | None:
        """The LLM prose writer for drafts when an LLM backend is configured."""
        from .llm import LLMWriter

        return LLMWriter.from_settings(self.settings)

    def _answerer(self) -> ExtractiveAnswerer | LLMAnswerer:
        """Extractive by default; the LLM backend (which falls back to it) when configured."""
        extractive = ExtractiveAnswerer(idf=self.reader().lexical.idf, embedder=self._query())
        if not self.settings.llm_base_url:
            return extractive
        return LLMAnswerer.from_settings(self.settings, fallback=extractive)

    # -- structured memory, drafting, uploads ----------------------------------------------

    def memory(self, *, audience: Audience | None = None) -> ProjectMemory:
        """The structured project memory, limited to what `audience` may see."""
        return self.reader().memory_for(audience or Audience.everyone())

    def events(self, *, start: date | None = None, end: date | None = None,
               audience: Audience | None = None) -> list[Event]:
        """Events whose date meets [start, end] (all events when both are None), in date order;
        undated events only when no range is asked for."""
        events = self.memory(audience=audience).events
        if start is not None or end is not None:
            events = [e for e in events if e.date is not None and e.date.overlaps(start, end)]
        return sorted(dedupe_events(events), key=event_sort_key)

    def sources(self, *, audience: Audience | None = None) -> SourcesOverview:
        """The documents `audience` may see, with titles and chunk counts, sorted by title, and
        the build time of the index. A document hidden from the audience is not counted either:
        even its existence stays with its audience."""
        reader = self.reader()
        visible = reader.visible_doc_ids(audience or Audience.everyone())
        chunks: dict[str, int] = {}
        records: dict[str, list[FileRecord]] = {}
        for record in reader.files().values():
            if record.doc_id in visible:
                chunks[record.doc_id] = chunks.get(record.doc_id, 0) + record.n_chunks
                records.setdefault(record.doc_id, []).append(record)
        labels: dict[str, tuple[str, str | None]] = {}  # doc_id -> (title, url) of its first chunk
        for stored in reader.all_chunks():
            doc = stored.chunk.doc_id
            if doc in chunks and doc not in labels:
                labels[doc] = (stored.chunk.title or doc, stored.chunk.url)
        documents = [IndexedDocument(doc_id=doc, title=labels.get(doc, (doc, None))[0], chunks=n,
                                     url=labels.get(doc, (doc, None))[1],
                                     **_file_facts(records[doc]))
                     for doc, n in chunks.items()]
        documents.sort(key=lambda d: (d.title.casefold(), d.doc_id))
        try:
            built = datetime.strptime(str(reader.manifest.get("created")), "%Y-%m-%dT%H:%M:%S%z")
        except ValueError:  # an index written without a parseable time: say nothing rather than guess
            built = None
        return SourcesOverview(documents=documents, built=built,
                               embedder=str(reader.manifest.get("embedder") or ""))

    def remove(self, target: str) -> Removed:
        """Take the documents `target` names (a file, a folder or a document id) out of the
        index; the files on disk are not touched. Raises NotIndexedError if it names none."""
        from .ingest.removal import remove_documents

        return remove_documents(self.store, target,
                                lock_timeout=self.settings.ingest_lock_timeout)

    def draft(self, section: str, *, period: Period | None = None,
              audience: Audience | None = None, today: date | None = None) -> "Draft":
        """A report section built only from what `audience` may see; every line cited."""
        from .drafting import build_draft

        return build_draft(
            section, memory=self.memory(audience=audience),
            retrieve=lambda query, k: self.search(query, k=k, audience=audience),
            period=period, writer=self._writer(), today=today,
        )

    def add_document(self, filename: str, data: bytes, *, added_by: str | None = None
                     ) -> AddedDocument:
        """Store an uploaded document under the corpus and index that file alone (no walk of
        the corpus: the cost is the document's). Raises UploadRejected with a reason fit for
        the user."""
        existing = self.settings.corpus_dir / self.settings.upload_dir / safe_name(filename)
        status = "added"
        if existing.is_file():
            status = "unchanged" if existing.read_bytes() == data else "updated"
        target = accept_upload(filename, data, corpus_dir=self.settings.corpus_dir,
                               upload_dir=self.settings.upload_dir,
                               max_bytes=self.settings.upload_max_bytes)
        report = self.ingest([target], progress=False, log=lambda line: None)
        key = str(target.resolve())
        failure = next((reason for path, reason in report.failed
                        if Path(path).resolve() == target.resolve()), None)
        record = report.records.get(key) or self.reader().files().get(key)
        if failure is not None or record is None:
            target.unlink(missing_ok=True)
            raise UploadRejected(f"{target.name}: {failure or 'could not be indexed'}")
        return AddedDocument(name=target.name, doc_id=record.doc_id, chunks=record.n_chunks,
                             status=status, added_by=added_by)

    def ask(self, question: str, *, history: Sequence[str] = (), k: int | None = None,
            id: str | None = None, audience: Audience | None = None) -> Answer:
        """A cited answer, or a refusal with the nearest sources. A question that asks two
        things is answered part by part; lists, codes and acronyms come from the memory.
        Misspelt words are corrected first, and what was searched for is said in the answer."""
        typed = question.strip()
        speller = self._speller()
        spelt = speller.correct(typed)
        query = contextualise(spelt, [speller.correct(h) for h in history])
        memory = self.memory(audience=audience)
        parts = split_question(query)
        if len(parts) > 1:  # two questions in one: each retrieved and answered on its own
            answer = answer_parts(query, parts, lambda part: self._answer(
                part, memory, k, audience, corrected=spelt != typed), id=id)
        else:
            answer = self._answer(query, memory, k, audience, corrected=spelt != typed)
        answer.question, answer.id = question, id
        answer.searched_for = query if query != typed else None
        answer.hits = answer.hits[: max(k or self.settings.k, 5)]
        return answer

    def ask_streaming(self, question: str, *, on_draft: Callable[[str], None],
                      history: Sequence[str] = (), k: int | None = None, id: str | None = None,
                      audience: Audience | None = None) -> Answer:
        """`ask`, and while an LLM writes the answer, `on_draft(text)` with its verified draft
        each time it grows (the sentences that passed verification, cited as in the answer).
        The returned answer is final: show it in place of the last draft. Extractive,
        structured and two-part answers come at once, with no draft."""
        query = contextualise(question.strip(), history)
        if len(split_question(query)) > 1:
            return self.ask(question, history=history, k=k, id=id, audience=audience)
        answer = self._answer(query, self.memory(audience=audience), k, audience,
                              on_draft=on_draft)
        answer.question, answer.id = question, id
        answer.hits = answer.hits[: max(k or self.settings.k, 5)]
        return answer

    def _answer(self, query: str, memory: ProjectMemory, k: int | None,
                audience: Audience | None,
                on_draft: Callable[[str], None] | None = None, *, corrected: bool = False
                ) -> Answer:
        """One question: spelling, retrieval (acronyms expanded), then the memory, else the
        answerer; last, the calibrated confidence and the hedge, whichever answered."""
        searched = self._speller().correct(query)  # a no-op when `ask` already corrected it
        # Retrieve deeper than shown: the answerer re-ranks by the best answering unit.
        hits = self.search(expand_acronyms(searched, memory), k=max(k or self.settings.k, 20),
                           audience=audience)
        answer = StructuredAnswerer(memory=memory).answer(searched, hits=hits)
        source = "structured"  # a complete list from the memory, each row cited
        if answer is None:
            answerer = self._answerer()
            source = "llm" if isinstance(answerer, LLMAnswerer) else "extractive"
            if on_draft is not None and isinstance(answerer, LLMAnswerer):
                answer = answerer.answer(searched, hits, on_draft=on_draft)
            else:
                answer = answerer.answer(searched, hits)
        calibrator = self.calibrator or Calibrator.shipped(self.embedder_name)
        answer = calibrator.apply(answer, query=searched, source=source,
                                  corrected=corrected or searched != query)
        answer.searched_for = searched if searched != query else None
        return answer

    def _speller(self) -> Speller:
        """The speller of the current index version (its vocabulary is read on first need)."""
        reader = self.reader()
        spelling = self._spelling
        if spelling is None or spelling[0] is not reader:
            spelling = self._spelling = (reader, Speller.for_reader(reader))
        return spelling[1]
