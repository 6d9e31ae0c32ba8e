"""A fake OpenAI-compatible chat server on 127.0.0.1, for tests of anything that calls an LLM.

    from fake_llm import FakeLLM, Reply, completion

    with FakeLLM() as llm:            # or the `fake_llm` fixture (fake_llm_fixtures.py)
        llm.script(completion("Kemi [1]."))        # replies are served in order...
        llm.default = completion("NOT_FOUND")      # ...then this one, for every later request
        ... Settings(llm_base_url=llm.url, ...) ...
        llm.requests[0].body["messages"]           # every request, recorded

It runs the real HTTP path (socket, http.server); nothing in the client is patched. A reply can
fail (`Reply(status=500)`), be malformed (`Reply(body=b"<html>")`) or hang (`Reply(delay=5)`:
the handler sleeps, so a client with a shorter timeout gives up; stopping the server does not
wait for it).

Streaming: a request with `"stream": true` gets server-sent events. A scripted `completion(...)`
is streamed in word-sized pieces as OpenAI does (`data: {...delta...}` events, then
`data: [DONE]`); `streamed(pieces, pause=0.05)` sends chosen pieces with a pause between them
(each event flushed on its own), and `streamed(..., done=False)` breaks off after the pieces
without a finish reason or `[DONE]`, as a crashed model server does. The `fake_llm` fixture also clears the http(s)_proxy variables, or urllib could
send 127.0.0.1 traffic to a proxy; to use it, name its module in a test module or conftest:

    pytest_plugins = ["fake_llm_fixtures"]
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PROXY_VARS = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    events: list[bytes] | None = None  # server-sent events, written and flushed one by one
    pause: float = 0.0  # seconds between two events


def _event(data: Any) -> bytes:
    return b"data: " + (data if isinstance(data, bytes) else json.dumps(data).encode()) + b"\n\n"


def _chunk(delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
    return _event({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "model": "fake",
                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]})


def streamed(pieces: Any, *, pause: float = 0.0, done: bool = True) -> Reply:
    """A 200 event stream sending `pieces` (a list of texts, or a text cut into words) as
    `delta.content`; `done=False` breaks off after them (no finish reason, no [DONE])."""
    if isinstance(pieces, str):
        pieces = re.findall(r"\S+\s*|\s+", pieces)
    events = [_chunk({"role": "assistant", "content": ""})]
    events += [_chunk({"content": piece}) for piece in pieces]
    if done:
        events += [_chunk({}, "stop"), _event(b"[DONE]")]
    return Reply(headers={"Content-Type": "text/event-stream"}, events=events, pause=pause)


def _as_stream(reply: Reply) -> Reply:
    """A scripted JSON completion, streamed (what a server does for `"stream": true`); a reply
    with its own Content-Type is served as it is (a server that ignores `"stream"`)."""
    if reply.events is not None or reply.status != 200 or "Content-Type" in reply.headers:
        return reply
    try:
        content = json.loads(reply.body)["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        return reply  # malformed on purpose: served as it is
    if not isinstance(content, str):
        return reply
    stream = streamed(content)
    stream.delay = reply.delay
    return stream


def completion(content: Any, *, finish_reason: str = "stop") -> Reply:
    """A 200 reply holding one chat completion whose message content is `content`."""
    data = {"id": "chatcmpl-fake", "object": "chat.completion", "model": "fake",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "finish_reason": finish_reason}]}
    return Reply(body=json.dumps(data).encode("utf-8"))


def error(status: int, message: str = "boom", **headers: str) -> Reply:
    """An OpenAI-style error reply."""
    body = json.dumps({"error": {"message": message, "type": "server_error"}}).encode("utf-8")
    return Reply(status=status, body=body, headers=headers)


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased: HTTP header names are case-insensitive
    raw: bytes
    body: Any  # the JSON body, or None when it was not JSON

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.body["messages"]

    def message(self, role: str) -> str:
        """The content of the (first) message with this role."""
        return next(m["content"] for m in self.messages if m["role"] == role)


class FakeLLM:
    """Scripted replies, recorded requests; `url` is the base URL ending in /v1."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.replies: list[Reply] = []
        self.default: Reply = completion("NOT_FOUND")
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self.url = ""

    def script(self, *replies: Reply) -> None:
        """Serve these replies, in order, to the next requests (then `default`)."""
        with self._lock:
            self.replies = list(replies)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.replies.clear()
            self.default = completion("NOT_FOUND")

    def _next(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            return self.replies.pop(0) if self.replies else self.default

    def start(self) -> FakeLLM:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                reply = fake._next(Request("POST", self.path,
                                           {k.lower(): v for k, v in self.headers.items()},
                                           raw, body))
                if isinstance(body, dict) and body.get("stream"):
                    reply = _as_stream(reply)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.events is not None:
                    self._stream(reply)
                    return
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.send_header("Connection", "close")
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:  # the client gave up (timeout tests)
                    pass

            def _stream(self, reply: Reply) -> None:
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Cache-Control", "no-cache")
                    self.send_header("Connection", "close")  # the body ends when we close
                    self.end_headers()
                    for n, event in enumerate(reply.events or []):
                        if n and reply.pause:
                            time.sleep(reply.pause)
                        self.wfile.write(event)
                        self.wfile.flush()
                except OSError:  # the client gave up
                    pass
                self.close_connection = True

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeLLM:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = ["PROXY_VARS", "FakeLLM", "Reply", "Request", "completion", "error", "streamed"]
