"""Append-only store of answer feedback (👍/👎 from Slack), exportable as QA evaluation lines.

Why SQLite: one file under ``data_dir`` that survives restarts, is safe for concurrent writers
(the bot answers on several threads), and needs no server. Feedback rows are never updated or
deleted (triggers enforce it) so the log stays trustworthy as evaluation data.

The same file holds an ``answers`` table: the payload (question, answer, sources) of every answer
the bot posted, keyed by a short id. Slack buttons carry only that id — a button value may not
exceed 2000 chars — and the payload is looked up when someone clicks, even after a restart.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, Literal

from assistant.access import Visibility
from assistant.models import NOT_FOUND

Verdict = Literal["helpful", "not_helpful"]
VERDICTS: tuple[str, ...] = ("helpful", "not_helpful")
FILENAME = "feedback.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    answer_key  TEXT,
    question    TEXT NOT NULL,
    answer_text TEXT NOT NULL,
    answered    INTEGER,
    sources     TEXT NOT NULL,
    verdict     TEXT NOT NULL CHECK (verdict IN ('helpful', 'not_helpful')),
    user        TEXT,
    channel     TEXT,
    ts          TEXT,
    created_at  TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS feedback_no_update BEFORE UPDATE ON feedback
BEGIN SELECT RAISE(ABORT, 'feedback is append-only'); END;
CREATE TRIGGER IF NOT EXISTS feedback_no_delete BEFORE DELETE ON feedback
BEGIN SELECT RAISE(ABORT, 'feedback is append-only'); END;
CREATE TABLE IF NOT EXISTS answers (
    key        TEXT PRIMARY KEY,
    payload    TEXT NOT NULL,
    created_at TEXT NOT NULL
);
"""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class FeedbackStore:
    """Thread-safe: every operation opens its own short-lived connection."""

    def __init__(self, *, path: Path, answer_retention_days: int = 180) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._write_lock = threading.Lock()
        with self._connect() as db:
            db.executescript(_SCHEMA)
            cutoff = (datetime.now(UTC) - timedelta(days=answer_retention_days)).isoformat(
                timespec="seconds"
            )
            db.execute("DELETE FROM answers WHERE created_at < ?", (cutoff,))

    @classmethod
    def open(cls, data_dir: Path) -> "FeedbackStore":
        return cls(path=Path(data_dir) / FILENAME)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=10)) as db:
            db.row_factory = sqlite3.Row
            with db:  # commit on success, roll back on error
                yield db

    # ------------------------------------------------------------------ answer payloads

    def save_answer(self, key: str, payload: dict[str, Any]) -> None:
        """Remember what was answered under ``key`` (referenced by the message's buttons)."""
        with self._write_lock, self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO answers (key, payload, created_at) VALUES (?, ?, ?)",
                (key, json.dumps(payload, ensure_ascii=False), _now()),
            )

    def load_answer(self, key: str) -> dict[str, Any] | None:
        with self._connect() as db:
            row = db.execute("SELECT payload FROM answers WHERE key = ?", (key,)).fetchone()
        return json.loads(row["payload"]) if row else None

    # ------------------------------------------------------------------ feedback

    def record(
        self,
        *,
        question: str,
        answer_text: str,
        sources: Sequence[dict[str, Any]],
        verdict: Verdict,
        user: str | None,
        channel: str | None,
        ts: str | None,
        answered: bool | None = None,
        answer_key: str | None = None,
        created_at: str | None = None,
    ) -> int:
        """Append one verdict; returns its row id."""
        if verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, not {verdict!r}")
        with self._write_lock, self._connect() as db:
            cur = db.execute(
                "INSERT INTO feedback (answer_key, question, answer_text, answered, sources, "
                "verdict, user, channel, ts, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    answer_key,
                    question,
                    answer_text,
                    None if answered is None else int(answered),
                    json.dumps(list(sources), ensure_ascii=False),
                    verdict,
                    user,
                    channel,
                    ts,
                    created_at or _now(),
                ),
            )
            return int(cur.lastrowid or 0)

    def rows(self) -> list[dict[str, Any]]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM feedback ORDER BY id").fetchall()
        out = []
        for r in rows:
            d = dict(r)
            d["sources"] = json.loads(d["sources"])
            d["answered"] = None if d["answered"] is None else bool(d["answered"])
            out.append(d)
        return out

    def export_qa_jsonl(self, out: IO[str] | Path | str, *,
                        visibility: Mapping[str, Visibility] | None = None,
                        include_restricted: bool = False) -> int:
        """Write one QA-format line per feedback row; returns the number of lines.

        ``must`` is left empty for a human to fill in (the facts a correct answer must contain);
        ``answerable`` is a guess from the answer (it was not the "could not find" message).
        ``out`` is a text stream, a path, or "-" for stdout.

        Every line says its documents' ``visibility`` ("public", "restricted", or "unknown" for
        a document not in ``visibility``, the index's doc id -> Visibility): an answer given in
        an allowed channel quotes restricted documents, and an evaluation file is shared more
        widely than that channel. Only public lines are written unless ``include_restricted``.
        """
        if isinstance(out, (str, Path)) and str(out) != "-":
            Path(out).parent.mkdir(parents=True, exist_ok=True)
            with open(out, "w", encoding="utf-8") as fh:
                return self.export_qa_jsonl(fh, visibility=visibility,
                                            include_restricted=include_restricted)
        stream: IO[str] = sys.stdout if isinstance(out, (str, Path)) else out
        n = 0
        for r in self.rows():
            answered = r["answered"]
            if answered is None:
                answered = not r["answer_text"].strip().startswith(NOT_FOUND)
            docs = [s.get("doc") for s in r["sources"] if s.get("doc")]
            label, hidden = classify(docs, visibility or {})
            if label != "public" and not include_restricted:
                continue
            line = {
                "id": f"fb{r['id']:04d}",
                "question": r["question"],
                "must": [],
                "doc": docs[0] if docs else None,
                "answerable": answered,
                "answer": r["answer_text"],
                "verdict": r["verdict"],
                "sources": r["sources"],
                "user": r["user"],
                "created_at": r["created_at"],
                "visibility": label,
            }
            if hidden:
                line["restricted_documents"] = hidden
            stream.write(json.dumps(line, ensure_ascii=False) + "\n")
            n += 1
        stream.flush()
        return n


def classify(docs: Sequence[str], visibility: Mapping[str, Visibility]
             ) -> tuple[str, dict[str, dict | None]]:
    """("public" | "restricted" | "unknown", {non-public doc: its audience, None if unknown})."""
    hidden: dict[str, dict | None] = {}
    for doc in docs:
        vis = visibility.get(doc)
        if vis is None:
            hidden[doc] = None
        elif vis.restricted:
            hidden[doc] = {"channels": sorted(vis.channels), "users": sorted(vis.users)}
    if any(v is not None for v in hidden.values()):
        return "restricted", hidden
    return ("unknown" if hidden else "public"), hidden


def doc_visibility(files: Iterable[Any]) -> dict[str, Visibility]:
    """Doc id -> Visibility from the index's file records; a doc id shared by several files
    (the same relative path under two roots) takes a restricted one's."""
    out: dict[str, Visibility] = {}
    for f in files:
        if f.doc_id not in out or f.visibility.restricted:
            out[f.doc_id] = f.visibility
    return out
