"""Test kit for the Slack suite: fake AskService, signed-request client, the bot harness."""

from __future__ import annotations

import io
import itertools
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fakeslack import BOT_USER_ID, FakeSlack
from slack_sdk.signature import SignatureVerifier

from assistant.access import PUBLIC, Audience, Visibility
from assistant.config import Settings
from assistant.errors import AssistantError, UploadRejected
from assistant.feedback import FeedbackStore
from assistant.ingest.uploads import AddedDocument
from assistant.slack.loadtest import IdleTracker
from assistant.memory.models import DateSpan, Event, Period, ProjectMemory, Region, SourceRef, Term
from assistant.models import NOT_FOUND, Answer, Chunk, Citation, Hit
from assistant.service import IndexedDocument, SourcesOverview
from assistant.slack.app import build_app
from assistant.slack.runner import EVENTS_PATH, make_http_server

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"

# A tiny corpus: (doc_id, title, url, page, section, sentence).
CORPUS: tuple[tuple[str, str, str | None, int | None, str, str], ...] = (
    ("remix-news-phase1-achievements.txt", "REMIX Phase 1 achievements",
     "https://example.org/remix/phase1", None, "News",
     "The Phase 1 of the REMIX project ended in June 2019."),
    ("remix-news-phase1-achievements.txt", "REMIX Phase 1 achievements",
     "https://example.org/remix/phase1", None, "News",
     "Stakeholder work took place in the participating 10 EU regions."),
    ("s3-mining-partnership-monitoring-report-2020-h1.txt", "S3 Mining partnership monitoring report",
     None, 3, "Leadership",
     "The Mining industry partnership is led by North Karelia and Lapland."),
    (RESTRICTED_DOC := "kristallberg-board-minutes.txt", "Kristallberg board minutes", None, 2, "Budget",
     "The confidential budget reserve of the partnership is held by the Kristallberg fund."),
)
# The restricted document: its marker must never reach a channel or DM that may not see it.
RESTRICTED = "Kristallberg"
ALLOWED_CHANNEL, ALLOWED_USER = "C_BOARD", "U_BOSS"
VISIBILITY = {RESTRICTED_DOC: Visibility(frozenset({ALLOWED_CHANNEL}), frozenset({ALLOWED_USER}), True)}

_WORD = re.compile(r"[a-z0-9]+")
_STOP = {"the", "of", "a", "in", "and", "is", "was", "what", "when", "did", "how", "which", "that",
         "by", "to", "it", "many", "who", "does", "do", "this"}


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def visible(doc_id: str, audience: Audience | None) -> bool:
    """Like the real service: no audience means no restricted documents (fail closed)."""
    return (audience or Audience()).may_see(VISIBILITY.get(doc_id, PUBLIC))


def _src(d: tuple[Any, ...]) -> SourceRef:
    return SourceRef(chunk_id=f"{d[0]}#0", doc_id=d[0], title=d[1], quote=d[5], page=d[3],
                     section=d[4], url=d[2])


EVENTS: tuple[Event, ...] = (
    Event("REMIX kick-off meeting", _src(CORPUS[0]),
          DateSpan("5-6 April 2017", Period.parse("2017-04-05..2017-04-06").start,
                   Period.parse("2017-04-05..2017-04-06").end, "day"), place="Kemi, Finland",
          status="past"),
    Event("Kristallberg site visit", _src(CORPUS[3]),
          DateSpan("March 2020", Period.parse("2020-03..2020-03").start,
                   Period.parse("2020-03..2020-03").end, "month"), place="Kristallberg mine",
          status="past"),
    Event("Partnership webinar", _src(CORPUS[2]),
          DateSpan("May 2020", Period.parse("2020-05..2020-05").start,
                   Period.parse("2020-05..2020-05").end, "month"), online=True, status="planned"),
)


REGIONS: tuple[Region, ...] = (
    Region("North Karelia", _src(CORPUS[2]), country="FI", nuts="FI1D3", role="leading"),
    Region("Lapland", _src(CORPUS[2]), country="FI", nuts="FI1D7", role="leading"),
    Region("Asturias", _src(CORPUS[1]), country="ES", nuts="ES12", role="participating"),
    Region("Kristallberg Highlands", _src(CORPUS[3]), country="AT", nuts="AT999", role="participating"),
)
TERMS: tuple[Term, ...] = (
    Term("REMIX", "Smart and Green Mining Regions of EU", _src(CORPUS[0])),
    Term("S3", "Smart Specialisation Strategy", _src(CORPUS[2])),
    Term("KBF", "Kristallberg Budget Fund", _src(CORPUS[3])),
)
INDEX_BUILT = datetime(2024, 5, 17, 9, 30, tzinfo=timezone.utc)


@dataclass(frozen=True)
class SectionSpec:
    title: str
    description: str


@dataclass
class FakeDraft:
    section: str
    period: Period | None
    events: list[Event]
    facts: list[str]


class FakeDrafting:
    """Stands in for ``assistant.drafting`` (being written): SECTIONS, Markdown and .docx."""

    SECTIONS = {
        "past-events": SectionSpec("Past events", "events held in the period, with dates and places"),
        "long-report": SectionSpec("Long report", "a very long section (tests splitting)"),
    }

    @staticmethod
    def render_markdown(draft: FakeDraft) -> str:
        lines = [f"# {FakeDrafting.SECTIONS[draft.section].title}", "",
                 "During the period the partners met **several times** [1].", ""]
        lines += ["| Event | Date | Place |", "|---|---|---|"]
        lines += [f"| {e.title} | {e.date.text if e.date else '?'} | {e.place or 'online'} |"
                  for e in draft.events]
        lines += [""] + [f"{fact} [{i + 1}]" for i, fact in enumerate(draft.facts)]
        if draft.section == "long-report":
            lines += [f"\n## Part {p}\n\n" + " ".join(f"Sentence {s} of part {p} about mining." for s in range(60))
                      for p in range(40)]
        return "\n".join(lines)

    @staticmethod
    def render_docx(draft: FakeDraft) -> bytes:
        import docx

        doc = docx.Document()
        doc.add_heading(FakeDrafting.SECTIONS[draft.section].title, level=1)
        for e in draft.events:
            doc.add_paragraph(f"{e.title} — {e.date.text if e.date else '?'}")
        for fact in draft.facts:
            doc.add_paragraph(fact)
        out = io.BytesIO()
        doc.save(out)
        return out.getvalue()


class UnknownSection(AssistantError):
    pass


@dataclass
class FakeService:
    """Canned answers from CORPUS by word overlap; special questions trigger edge cases.

    It hides the restricted document from audiences that may not see it, like the real one.
    """

    calls: list[dict[str, Any]] = field(default_factory=list)
    audiences: list[tuple[str, Audience | None]] = field(default_factory=list)  # (method, audience)
    documents: list[dict[str, Any]] = field(default_factory=list)  # add_document calls
    delay: tuple[float, float] | None = None  # sleep this many seconds (min, max) per ask
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _seen(self, method: str, audience: Audience | None) -> None:
        with self.lock:
            self.audiences.append((method, audience))

    def ask(self, question: str, *, history: Sequence[str] = (), k: int | None = None,
            id: str | None = None, audience: Audience | None = None) -> Answer:
        with self.lock:
            self.calls.append({"question": question, "history": list(history), "id": id,
                               "audience": audience})
        self._seen("ask", audience)
        if self.delay:
            time.sleep(random.uniform(*self.delay))
        if "boom" in question.lower():
            raise RuntimeError("index exploded")
        if "long answer" in question.lower():
            return long_answer(question)
        if question.startswith("echo "):  # load test: the answer names its question
            return Answer(question=question, text=f"answer to {question[5:]}", answered=True, id=id)
        words, earlier = _words(question), _words(" ".join(history))
        # the question decides; earlier questions of the thread only break ties
        docs = [d for d in CORPUS if visible(d[0], audience)]
        scored = sorted(docs, key=lambda d: (-len(words & _words(d[5] + " " + d[1])),
                                             -len(earlier & _words(d[5] + " " + d[1]))))
        best = scored[0]
        cite = lambda n, d: Citation(n=n, doc_id=d[0], title=d[1], url=d[2], page=d[3],  # noqa: E731
                                     section=d[4], quote=d[5])
        hits = [Hit(Chunk(chunk_id=f"{d[0]}#0", doc_id=d[0], title=d[1], text=d[5]), 1.0 / (i + 1))
                for i, d in enumerate(scored[: k or 5])]
        if not words & _words(best[5]):
            return Answer(question=question, text=NOT_FOUND, answered=False,
                          citations=[cite(i + 1, d) for i, d in enumerate(scored[:2])], id=id, hits=hits)
        return Answer(question=question, text=f"{best[5]} [1]", answered=True,
                      citations=[cite(1, best)], id=id, confidence=0.9, hits=hits)

    def events(self, *, start: Any = None, end: Any = None, audience: Audience | None = None) -> list[Event]:
        self._seen("events", audience)
        return [e for e in EVENTS if visible(e.source.doc_id, audience)
                and (start is None and end is None or (e.date and e.date.overlaps(start, end)))]

    def draft(self, section: str, *, period: Period | None = None,
              audience: Audience | None = None) -> FakeDraft:
        self._seen("draft", audience)
        if section not in FakeDrafting.SECTIONS:
            raise UnknownSection(f"Unknown section '{section}'; valid sections: "
                                 + ", ".join(FakeDrafting.SECTIONS))
        events = self.events(start=period.start if period else None, end=period.end if period else None,
                             audience=audience)
        facts = [d[5] for d in CORPUS if visible(d[0], audience)]
        return FakeDraft(section, period, events, facts)

    def memory(self, *, audience: Audience | None = None) -> ProjectMemory:
        self._seen("memory", audience)
        return ProjectMemory(
            events=[e for e in EVENTS if visible(e.source.doc_id, audience)],
            regions=[r for r in REGIONS if visible(r.source.doc_id, audience)],
            terms=[t for t in TERMS if visible(t.source.doc_id, audience)])

    def sources(self, *, audience: Audience | None = None) -> SourcesOverview:
        self._seen("sources", audience)
        chunks: dict[str, int] = {}
        for d in CORPUS:
            if visible(d[0], audience):
                chunks[d[0]] = chunks.get(d[0], 0) + 1
        titles = {d[0]: (d[1], d[2]) for d in CORPUS}
        return SourcesOverview(
            documents=sorted((IndexedDocument(doc_id=doc, title=titles[doc][0], url=titles[doc][1], chunks=n)
                              for doc, n in chunks.items()), key=lambda d: d.title),
            built=INDEX_BUILT, embedder="hash-384")

    def add_document(self, filename: str, data: bytes, *, added_by: str | None = None
                     ) -> AddedDocument:
        with self.lock:
            self.documents.append({"filename": filename, "data": data, "added_by": added_by})
        if not filename.endswith((".txt", ".pdf", ".docx", ".md", ".html")):
            raise UploadRejected(f"'{filename}' is not a supported type; send PDF, DOCX, TXT, MD or HTML")
        return AddedDocument(name=filename, doc_id=f"uploads/{filename}", chunks=3, status="added",
                             added_by=added_by)


def long_answer(question: str) -> Answer:
    paragraphs = [
        " ".join(f"Paragraph {p} sentence {s} says something about mining regions [1]." for s in range(40))
        for p in range(8)
    ]
    citations = [Citation(n=i + 1, doc_id=f"doc{i}.txt", title=f"Document {i}", quote="q",
                          url=f"https://example.org/{i}" if i % 2 else None, page=i or None)
                 for i in range(30)]
    return Answer(question=question, text="\n\n".join(paragraphs), answered=True, citations=citations)


class TrackingExecutor(IdleTracker):
    """Counts in-flight tasks so tests can wait until the bot has finished all lazy work."""

    def __init__(self) -> None:
        super().__init__(8, name="test-slack")

    def wait_idle(self, timeout: float = 10.0) -> bool:  # type: ignore[override]
        if not super().wait_idle(timeout):
            raise AssertionError("bot still busy after %.1fs" % timeout)
        return True


@dataclass
class Reply:
    status: int
    body: str
    elapsed: float


_ids = itertools.count(1)


@dataclass
class Bot:
    """The real app behind a real HTTP server, plus helpers to send signed Slack requests."""

    url: str
    slack: FakeSlack
    service: Any
    feedback: FeedbackStore
    executor: TrackingExecutor
    secret: str = SIGNING_SECRET

    def post(self, body: str, *, content_type: str, headers: dict[str, str] | None = None,
             timestamp: int | None = None, signature: str | None = None) -> Reply:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        sig = signature or SignatureVerifier(self.secret).generate_signature(timestamp=ts, body=body)
        req = urllib.request.Request(self.url, data=body.encode(), method="POST", headers={
            "Content-Type": content_type, "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": sig, **(headers or {})})
        start = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return Reply(resp.status, resp.read().decode(), time.monotonic() - start)
        except urllib.error.HTTPError as e:
            return Reply(e.code, e.read().decode(), time.monotonic() - start)

    def event(self, event: dict[str, Any], *, event_id: str | None = None, **kw: Any) -> Reply:
        if event.get("channel_type") == "im" and event.get("user"):  # Slack sends `im` events
            self.slack.members.setdefault(event["channel"], [event["user"], BOT_USER_ID])  # from bot DMs only
        envelope = {
            "token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
            "event": event, "event_id": event_id or f"Ev{next(_ids):06d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": "T1", "user_id": BOT_USER_ID, "is_bot": True}],
        }
        return self.post(json.dumps(envelope), content_type="application/json", **kw)

    def command(self, text: str, *, response: str = "cmd", channel: str = "C1", user: str = "U1",
                channel_name: str | None = None, **kw: Any) -> Reply:
        if channel_name is None:
            channel_name = "directmessage" if channel.startswith("D") else "general"
        if channel_name == "directmessage":  # by default the user's DM with the bot
            self.slack.members.setdefault(channel, [user, BOT_USER_ID])
        form = {"token": "legacy", "team_id": "T1", "channel_id": channel, "user_id": user,
                "channel_name": channel_name,
                "user_name": "ana", "command": "/remix", "text": text, "trigger_id": "1.2.3",
                "response_url": self.slack.response_url(response)}
        return self.post(urllib.parse.urlencode(form), content_type="application/x-www-form-urlencoded", **kw)

    def action(self, payload: dict[str, Any], **kw: Any) -> Reply:
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return self.post(body, content_type="application/x-www-form-urlencoded", **kw)

    def settle(self) -> None:
        self.executor.wait_idle()


def mention(text: str, *, ts: str, channel: str = "C1", user: str = "U1",
            thread_ts: str | None = None) -> dict[str, Any]:
    ev = {"type": "app_mention", "user": user, "text": f"<@{BOT_USER_ID}> {text}", "ts": ts,
          "channel": channel, "event_ts": ts}
    if thread_ts:
        ev["thread_ts"] = thread_ts
    return ev


def message(text: str, *, ts: str, channel: str = "C1", channel_type: str = "channel",
            user: str | None = "U1", thread_ts: str | None = None, **extra: Any) -> dict[str, Any]:
    ev: dict[str, Any] = {"type": "message", "text": text, "ts": ts, "channel": channel,
                          "channel_type": channel_type, "event_ts": ts, **extra}
    if user:
        ev["user"] = user
    if thread_ts:
        ev["thread_ts"] = thread_ts
    return ev


def all_text(blocks: list[dict[str, Any]]) -> str:
    """Every text in a message's blocks (sections and context elements)."""
    out = []
    for b in blocks:
        if "text" in b and isinstance(b["text"], dict):
            out.append(b["text"]["text"])
        for e in b.get("elements", []):
            if isinstance(e.get("text"), str):
                out.append(e["text"])
    return "\n".join(out)


def make_settings(tmp_path: Path, slack: FakeSlack, **kw: Any) -> Settings:
    values: dict[str, Any] = dict(
        slack_bot_token="xoxb-test-token", slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url, data_dir=tmp_path / "data", index_dir=tmp_path / "index",
        corpus_dir=tmp_path / "corpus", cache_dir=tmp_path / "cache",
    )
    values.update(kw)
    return Settings(_env_file=None, **values)


def start_bot(tmp_path: Path, slack: FakeSlack, service: Any, *, drafting: Any = None,
              **settings: Any) -> Iterator[Bot]:
    config = make_settings(tmp_path, slack, **settings)
    feedback = FeedbackStore.open(config.data_dir)
    executor = TrackingExecutor()
    app = build_app(service=service, settings=config, feedback=feedback, executor=executor,
                    drafting=drafting or FakeDrafting())
    server = make_http_server(app, host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield Bot(url=f"http://127.0.0.1:{server.server_port}{EVENTS_PATH}", slack=slack,
                  service=service, feedback=feedback, executor=executor)
    finally:
        server.shutdown()
        server.server_close()
        executor.shutdown(wait=True)


# --------------------------------------------------------------------------- the real process

PROXY_VARS = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
              "no_proxy", "NO_PROXY")


def process_env(tmp_path: Path, slack: FakeSlack, corpus: dict[str, str], **extra: str) -> dict[str, str]:
    """Environment for `remix-assistant slack` over ``corpus`` (written to tmp_path/corpus) with
    the deterministic hash embedder; index, data and cache under tmp_path; no proxy, no stray
    Slack or assistant settings from the caller's environment."""
    from corpora import write_corpus

    corpus_dir = write_corpus(tmp_path / "corpus", corpus)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "ASSISTANT_")) and k not in PROXY_VARS}
    env.update({
        "SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_API_URL": slack.api_url,
        "ASSISTANT_EMBEDDER": "hash-384", "ASSISTANT_CORPUS_DIR": str(corpus_dir),
        "ASSISTANT_INDEX_DIR": str(tmp_path / "index"), "ASSISTANT_DATA_DIR": str(tmp_path / "data"),
        "ASSISTANT_CACHE_DIR": str(tmp_path / "cache"), "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env


@dataclass
class BotProcess:
    """`remix-assistant slack` as a child process; its log (stderr) collected line by line."""

    proc: Any  # subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    _reader: threading.Thread | None = None

    @classmethod
    def start(cls, args: Sequence[str], *, env: dict[str, str], cwd: Path) -> BotProcess:
        script = Path(sys.executable).with_name("remix-assistant")
        command = [str(script)] if script.exists() else [sys.executable, "-c",
                                                          "from assistant.cli import main; main()"]
        proc = subprocess.Popen([*command, "slack", *args], env=env, cwd=cwd, text=True,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        bot = cls(proc)
        bot._reader = threading.Thread(target=bot._read, daemon=True)
        bot._reader.start()
        return bot

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def log(self) -> str:
        return "\n".join(self.lines)

    def wait_log(self, pattern: str, *, timeout: float = 60.0) -> re.Match[str]:
        """The first log line matching ``pattern``; fails if the process exits or time runs out."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            lines = list(self.lines)
            for line in lines[seen:]:
                found = regex.search(line)
                if found:
                    return found
            seen = len(lines)
            if self.proc.poll() is not None and self._reader is not None:
                self._reader.join(timeout=1)
                if len(self.lines) == seen:
                    raise AssertionError(f"bot exited ({self.proc.returncode}) before /{pattern}/:\n"
                                         + self.log())
            time.sleep(0.02)
        raise AssertionError(f"no /{pattern}/ in the bot's log within {timeout}s:\n" + self.log())

    def terminate(self, *, timeout: float = 15.0) -> tuple[int | None, float]:
        """SIGTERM, then wait: (exit code or None if still running after ``timeout``, seconds)."""
        start = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code: int | None = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = None
        return code, time.monotonic() - start

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        if self._reader is not None:
            self._reader.join(timeout=2)


def thread_replies(slack: FakeSlack, channel: str, thread_ts: str) -> list[dict[str, Any]]:
    """What the bot left in a thread, as Slack would show it: every message posted there, each
    in its latest version (after any ``chat.update``; ``updates`` counts them)."""
    out: list[dict[str, Any]] = []
    where: dict[str, int] = {}  # message ts -> index in out
    for call in slack.recorded():
        body = call.body
        if call.method == "chat.postMessage" and body.get("channel") == channel \
                and body.get("thread_ts") == thread_ts:
            ts = str(call.result.get("ts"))
            where[ts] = len(out)
            out.append({**body, "ts": ts, "updates": 0})
        elif call.method == "chat.update" and body.get("channel") == channel and body.get("ts") in where:
            i = where[body["ts"]]
            out[i] = {**body, "updates": out[i]["updates"] + 1}
    return out


def finished(slack: FakeSlack, channel: str, ts: str,
             thread_ts: str | None = None) -> list[dict[str, Any]]:
    """Wait until the bot has finished with message ``ts`` (its ⏳ removed), then return what it
    left in the message's thread (``thread_ts``, default the message's own)."""
    slack.wait_for(lambda: "reactions.remove" in reactions(slack, channel, ts), timeout=20,
                   what=f"the bot to finish with {channel}/{ts}")
    return thread_replies(slack, channel, thread_ts or ts)


def reactions(slack: FakeSlack, channel: str, ts: str) -> list[str]:
    """The reaction calls made on one message, in order: ["reactions.add", "reactions.remove"]."""
    return [c.method for c in slack.recorded() if c.method in ("reactions.add", "reactions.remove")
            and c.body.get("channel") == channel and c.body.get("timestamp") == ts]
