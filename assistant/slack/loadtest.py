"""Load test: the real bolt app over HTTP or Socket Mode, many simulated users, a fake Slack — all on loopback.

``run_load(service, users=20, requests=200)`` starts the bot (``build_app`` + the threaded
WSGI server on 127.0.0.1) against ``assistant.slack.fakeapi.FakeSlack`` (also 127.0.0.1), lets
``users`` threads send ``requests`` properly signed requests in total (channel mentions and
`/remix` commands), waits until every question is answered and the bot is idle, and returns
a ``LoadReport``. With ``transport="socket"`` the bot connects instead through bolt's real
``SocketModeHandler`` to ``assistant.slack.fakesocket.FakeSocketMode``, and each request is an
envelope on that WebSocket, "acked" when the bot's ack comes back. The report counts
acks within Slack's 3 s (count, max), answers delivered exactly once in the
right place (mentions: the fake's placeholder-to-thread map checks channel and thread_ts;
`/remix`: the request's own response_url), and p50/p95 end-to-end latency (request sent to
answer recorded by the fake API).

Bounded by construction: nothing but 127.0.0.1 is contacted, the number of requests is
fixed, and everything stops at ``timeout`` seconds (default 120) whether or not all answers
arrived (``timed_out`` says so). Used by ``tests/slack/test_slack_load.py`` and the bench.
"""

from __future__ import annotations

import json
import math
import secrets
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from slack_sdk.signature import SignatureVerifier

from assistant.config import Settings
from assistant.feedback import FeedbackStore
from assistant.slack import blocks
from assistant.slack.app import build_app
from assistant.slack.fakeapi import BOT_USER_ID, Call, FakeSlack
from assistant.slack.fakesocket import FakeSocketMode
from assistant.slack.handlers import AskService
from assistant.slack.runner import EVENTS_PATH, close_socket_mode, connect_socket_mode, make_http_server

ACK_DEADLINE = 3.0  # Slack's: an unacknowledged request is retried, then reported as failed
DEFAULT_QUESTIONS = blocks.EXAMPLE_QUESTIONS
CHANNELS = 5  # users post in a handful of shared channels, as in a real workspace
Kind = Literal["mention", "command"]
Transport = Literal["http", "socket"]


@dataclass
class Sent:
    """One simulated request and what happened to it."""

    n: int
    kind: Kind
    user: str
    channel: str
    ts: str  # mention: the message ts (= the thread the answer belongs in)
    question: str
    sent_at: float = 0.0
    status: int = 0
    ack_s: float = math.inf

    @property
    def response_name(self) -> str:
        return f"load-{self.n}"


@dataclass
class LoadReport:
    users: int
    requests: int
    mentions: int
    commands: int
    acked_in_time: int  # HTTP 200 within ACK_DEADLINE
    ack_max_s: float
    answered_once: int  # exactly one answer, in the right thread / response_url
    unanswered: int
    duplicated: int  # more than one answer for one question
    misplaced: int  # answers that belong to no question's thread
    wrong: int  # answers that failed the caller's content check (or were apologies)
    latency_p50_s: float
    latency_p95_s: float
    seconds: float
    timed_out: bool
    answer_concurrency: int
    transport: Transport = "http"
    problems: list[str] = field(default_factory=list)  # the first few, for a readable failure

    @property
    def ok(self) -> bool:
        return (self.acked_in_time == self.requests and self.answered_once == self.requests
                and not (self.duplicated or self.misplaced or self.wrong or self.timed_out))

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}

    def summary(self) -> str:
        return (f"{self.requests} requests from {self.users} users over {self.transport} "
                f"({self.mentions} mentions, {self.commands} /remix) in {self.seconds:.1f}s: "
                f"acked in time {self.acked_in_time}/{self.requests} (max {self.ack_max_s:.3f}s), "
                f"answered once {self.answered_once}, unanswered {self.unanswered}, "
                f"duplicated {self.duplicated}, misplaced {self.misplaced}, wrong {self.wrong}; "
                f"latency p50 {self.latency_p50_s:.3f}s p95 {self.latency_p95_s:.3f}s"
                + (" — TIMED OUT" if self.timed_out else ""))


# --------------------------------------------------------------------------- plumbing


class IdleTracker(ThreadPoolExecutor):
    """The bot's listener pool, counting in-flight work so "done" means "bot idle"."""

    def __init__(self, workers: int, *, name: str = "load-slack") -> None:
        super().__init__(max_workers=workers, thread_name_prefix=name)
        self._pending = 0
        self._cv = threading.Condition()

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._cv:
            self._pending += 1
        fut = super().submit(fn, *args, **kwargs)
        fut.add_done_callback(self._done)
        return fut

    def _done(self, _fut: Future[Any]) -> None:
        with self._cv:
            self._pending -= 1
            self._cv.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self._cv:
            return self._cv.wait_for(lambda: self._pending == 0, timeout=max(0.0, timeout))


@dataclass(frozen=True)
class SignedClient:
    """Posts to the bot the way Slack does: v0 signature over timestamp and body."""

    url: str
    secret: str

    def post(self, body: str, content_type: str, *, timeout: float) -> tuple[int, float]:
        ts = str(int(time.time()))
        sig = SignatureVerifier(self.secret).generate_signature(timestamp=ts, body=body)
        req = urllib.request.Request(self.url, data=body.encode(), method="POST", headers={
            "Content-Type": content_type, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig})
        start = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=max(0.1, timeout)) as resp:
                resp.read()
                return resp.status, time.monotonic() - start
        except urllib.error.HTTPError as e:
            return e.code, time.monotonic() - start
        except OSError:
            return 0, time.monotonic() - start

    def send(self, s: Sent, response_url: str, *, timeout: float) -> None:
        if s.kind == "mention":
            event = mention_event(s)
            body = json.dumps({
                "token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
                "event": event, "event_id": f"Ev{uuid.uuid4().hex[:12]}", "event_time": int(time.time()),
                "authorizations": [{"team_id": "T1", "user_id": BOT_USER_ID, "is_bot": True}]})
            ctype = "application/json"
        else:
            body = urllib.parse.urlencode({
                "token": "legacy", "team_id": "T1", "channel_id": s.channel, "channel_name": "load",
                "user_id": s.user, "user_name": s.user, "command": "/remix", "text": s.question,
                "trigger_id": "1.2.3", "response_url": response_url})
            ctype = "application/x-www-form-urlencoded"
        s.sent_at = time.monotonic()
        s.status, s.ack_s = self.post(body, ctype, timeout=timeout)


@dataclass(frozen=True)
class SocketClient:
    """Sends the way Slack does in Socket Mode: an envelope on the bot's WebSocket, then waits
    for its ack (the status is 200 once acked, 0 if the ack never came)."""

    server: FakeSocketMode

    def send(self, s: Sent, response_url: str, *, timeout: float) -> None:
        s.sent_at = time.monotonic()
        try:
            if s.kind == "mention":
                envelope_id = self.server.send_event(mention_event(s))
            else:
                envelope_id = self.server.send_command(s.question, response_url=response_url,
                                                       channel=s.channel, user=s.user, channel_name="load")
        except ConnectionError:
            s.status, s.ack_s = 0, time.monotonic() - s.sent_at
            return
        ack = self.server.wait_ack(envelope_id, timeout=max(0.1, timeout))
        s.status, s.ack_s = (200, ack.delay) if ack else (0, time.monotonic() - s.sent_at)


def mention_event(s: Sent) -> dict[str, Any]:
    return {"type": "app_mention", "user": s.user, "text": f"<@{BOT_USER_ID}> {s.question}",
            "ts": s.ts, "channel": s.channel, "event_ts": s.ts}


def plan(users: int, requests: int, questions: Sequence[str], slash_every: int) -> list[Sent]:
    """Deterministic mix: every ``slash_every``-th request is a `/remix`, the rest mentions."""
    out = []
    for n in range(requests):
        user = n % users
        kind: Kind = "command" if slash_every and n % slash_every == slash_every - 1 else "mention"
        out.append(Sent(n=n, kind=kind, user=f"U_LOAD{user:03d}", channel=f"C_LOAD{user % CHANNELS}",
                        ts=f"{1_800_000_000 + n}.{user:06d}", question=questions[n % len(questions)]))
    return out


# --------------------------------------------------------------------------- tally


@dataclass
class _Tally:
    answers: dict[int, list[Call]]
    misplaced: int


def tally(calls: Sequence[Call], sent: Sequence[Sent]) -> _Tally:
    """Match the fake API's recorded answers to the requests they belong to."""
    by_thread = {(s.channel, s.ts): s.n for s in sent if s.kind == "mention"}
    by_response = {f"response:{s.response_name}": s.n for s in sent if s.kind == "command"}
    placeholder_thread: dict[tuple[str, str], tuple[str, str]] = {}
    answers: dict[int, list[Call]] = defaultdict(list)
    misplaced = 0
    for call in calls:
        body = call.body
        if call.method == "chat.postMessage":
            thread = (str(body.get("channel")), str(body.get("thread_ts")))
            if body.get("text") == blocks.WORKING_TEXT:
                placeholder_thread[(thread[0], str(call.result.get("ts")))] = thread
                continue
            target = thread  # an answer posted without a placeholder
        elif call.method == "chat.update":
            target = placeholder_thread.get((str(body.get("channel")), str(body.get("ts"))))
        elif call.method in by_response:
            if body.get("text") in (blocks.WORKING_TEXT, None) or "delete_original" in body:
                continue
            answers[by_response[call.method]].append(call)
            continue
        else:
            continue
        n = by_thread.get(target) if target else None
        if n is None:
            misplaced += 1
        else:
            answers[n].append(call)
    return _Tally(answers, misplaced)


def _percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def _report(sent: Sequence[Sent], calls: Sequence[Call], *, users: int, seconds: float,
            timed_out: bool, concurrency: int, transport: Transport,
            check: Callable[[str, str], bool] | None) -> LoadReport:
    t = tally(calls, sent)
    once = wrong = unanswered = duplicated = 0
    latencies: list[float] = []
    problems: list[str] = []
    for s in sent:
        got = t.answers.get(s.n, [])
        if not got:
            unanswered += 1
            problems.append(f"#{s.n} {s.kind} in {s.channel} not answered (ack status {s.status})")
            continue
        if len(got) > 1:
            duplicated += 1
            problems.append(f"#{s.n} {s.kind} answered {len(got)} times")
            continue
        text = str(got[0].body.get("text", ""))
        if text == blocks.APOLOGY_TEXT or (check is not None and not check(s.question, text)):
            wrong += 1
            problems.append(f"#{s.n} {s.kind}: unexpected answer {text[:80]!r}")
            continue
        once += 1
        latencies.append(got[0].at - s.sent_at)
    acks = [s.ack_s for s in sent if s.status == 200]
    return LoadReport(
        users=users, requests=len(sent), mentions=sum(s.kind == "mention" for s in sent),
        commands=sum(s.kind == "command" for s in sent),
        acked_in_time=sum(s.status == 200 and s.ack_s < ACK_DEADLINE for s in sent),
        ack_max_s=max(acks) if acks else math.inf, answered_once=once, unanswered=unanswered,
        duplicated=duplicated, misplaced=t.misplaced, wrong=wrong,
        latency_p50_s=_percentile(latencies, 0.5), latency_p95_s=_percentile(latencies, 0.95),
        seconds=seconds, timed_out=timed_out, answer_concurrency=concurrency, transport=transport,
        problems=problems[:10],
    )


# --------------------------------------------------------------------------- the run


def run_load(
    service: AskService,
    *,
    users: int = 20,
    requests: int = 200,
    questions: Sequence[str] = DEFAULT_QUESTIONS,
    slash_every: int = 4,
    timeout: float = 120.0,
    answer_concurrency: int = 1,
    workers: int = 16,
    check: Callable[[str, str], bool] | None = None,
    transport: Transport = "http",
) -> LoadReport:
    """Run the load test against ``service`` and return the figures (never raises on failures
    of the bot: they are counted). ``check(question, answer_text)`` optionally verifies that an
    answer belongs to its question (e.g. a service that echoes the question)."""
    if users < 1 or requests < 1 or not questions:
        raise ValueError("users, requests and questions must be positive")
    started = time.monotonic()
    deadline = started + timeout
    token, secret = "xoxb-load-" + secrets.token_hex(8), secrets.token_hex(16)
    app_token = "xapp-1-load-" + secrets.token_hex(8)
    slack = FakeSlack(token=token)
    executor = IdleTracker(workers)
    stack = ExitStack()  # stops whatever was started, last first
    stack.callback(slack.close)
    stack.callback(executor.shutdown, wait=False, cancel_futures=True)
    try:
        with tempfile.TemporaryDirectory(prefix="remix-load-") as tmp:
            root = Path(tmp)
            settings = Settings(_env_file=None, slack_bot_token=token, slack_signing_secret=secret,
                                slack_api_url=slack.api_url, data_dir=root / "data",
                                index_dir=root / "index", corpus_dir=root / "corpus",
                                cache_dir=root / "cache")
            app = build_app(service=service, settings=settings,  # type: ignore[arg-type]
                            feedback=FeedbackStore.open(settings.data_dir), executor=executor,
                            answer_concurrency=answer_concurrency)
            client: SignedClient | SocketClient
            if transport == "socket":
                socket_server = FakeSocketMode(app_token=app_token).attach(slack)
                stack.callback(socket_server.close)
                stack.callback(close_socket_mode, connect_socket_mode(app, app_token=app_token))
                socket_server.wait_connected(timeout=max(0.1, deadline - time.monotonic()))
                client = SocketClient(socket_server)
            else:
                server = make_http_server(app, host="127.0.0.1", port=0)
                stack.callback(server.server_close)
                stack.callback(server.shutdown)
                threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                 daemon=True).start()
                client = SignedClient(f"http://127.0.0.1:{server.server_port}{EVENTS_PATH}", secret)
            sent = plan(users, requests, questions, slash_every)
            _send_all(client, slack, sent, users, deadline)
            timed_out = not _wait_answered(slack, sent, executor, deadline)
            return _report(sent, slack.recorded(), users=users, seconds=time.monotonic() - started,
                           timed_out=timed_out, concurrency=answer_concurrency, transport=transport,
                           check=check)
    finally:
        stack.close()


def _send_all(client: SignedClient | SocketClient, slack: FakeSlack, sent: Sequence[Sent], users: int,
              deadline: float) -> None:
    """``users`` threads, each sending its own requests one after another (as fast as acked)."""
    per_user: dict[str, list[Sent]] = defaultdict(list)
    for s in sent:
        per_user[s.user].append(s)

    def user_loop(mine: list[Sent]) -> None:
        for s in mine:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            client.send(s, slack.response_url(s.response_name), timeout=min(10.0, remaining))

    with ThreadPoolExecutor(max_workers=users, thread_name_prefix="load-user") as pool:
        for f in [pool.submit(user_loop, mine) for mine in per_user.values()]:
            f.result()


def _wait_answered(slack: FakeSlack, sent: Sequence[Sent], executor: IdleTracker,
                   deadline: float) -> bool:
    """True once every acked request has an answer and the bot is idle; False at the deadline.

    A request the bot did not ack was never accepted (Slack would retry it): waiting for its
    answer would only burn the whole timeout. It is counted as not acked and unanswered."""
    delivered = [s for s in sent if s.status == 200]
    while time.monotonic() < deadline:
        answers = tally(slack.recorded(), sent).answers
        if all(answers.get(s.n) for s in delivered):
            return executor.wait_idle(deadline - time.monotonic())
        time.sleep(0.05)
    return False
