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
wait for it). The `fake_llm` fixture also clears the http(s)_proxy variables, or urllib could
send 127.0.0.1 traffic to a proxy; to use it, name its module in a test module or conftest:

    pytest_plugins = ["fake_llm_fixtures"]
"""

from __future__ import annotations

import json
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
                if reply.delay:
                    time.sleep(reply.delay)
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


__all__ = ["PROXY_VARS", "FakeLLM", "Reply", "Request", "completion", "error"]
