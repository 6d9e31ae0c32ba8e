"""A fake Slack Web API (and response_url endpoint) on 127.0.0.1 that records every call."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

BOT_USER_ID = "U_BOT"
BOT_ID = "B_BOT"


@dataclass
class Call:
    method: str  # "chat.postMessage", or "response:<path>" for response_url posts
    body: dict[str, Any]


@dataclass
class FakeSlack:
    calls: list[Call] = field(default_factory=list)
    replies: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    failures: dict[str, list[tuple[int, dict[str, str], str]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ts: int = 0

    def __post_init__(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._handle(urlsplit(self.path).query)

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                ctype = self.headers.get("Content-Type", "")
                self._handle(raw, json_body="json" in ctype)

            def _handle(self, raw: str, json_body: bool = False) -> None:
                path = urlsplit(self.path).path
                body = json.loads(raw or "{}") if json_body else dict(parse_qsl(raw))
                status, headers, payload = fake._dispatch(path, body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    # ------------------------------------------------------------------ config

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def response_url(self, name: str) -> str:
        return f"{self.url}/response/{name}"

    def fail_next(self, method: str, status: int, headers: dict[str, str] | None = None,
                  error: str = "ratelimited") -> None:
        """Make the next call of ``method`` fail: ``status`` (e.g. 429 + Retry-After), ok=false."""
        self.failures.setdefault(method, []).append((status, headers or {}, error))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ------------------------------------------------------------------ behaviour

    def _next_ts(self) -> str:
        self._ts += 1
        return f"1700000000.{self._ts:06d}"

    def _dispatch(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any]]:
        if path.startswith("/response/"):
            with self._lock:
                self.calls.append(Call("response:" + path[len("/response/"):], body))
            return 200, {}, {"ok": True}
        method = path.rsplit("/", 1)[-1]
        with self._lock:
            queued = self.failures.get(method)
            if queued:
                status, headers, error = queued.pop(0)
                self.calls.append(Call(method + f"!{status}", body))
                return status, headers, {"ok": False, "error": error}
            self.calls.append(Call(method, body))
            if method == "auth.test":
                return 200, {}, {"ok": True, "user_id": BOT_USER_ID, "bot_id": BOT_ID,
                                 "team_id": "T1", "user": "remix", "team": "Test"}
            if method in ("chat.postMessage", "chat.update"):
                ts = body.get("ts") or self._next_ts()
                return 200, {}, {"ok": True, "channel": body.get("channel"), "ts": ts,
                                 "message": {"text": body.get("text"), "ts": ts}}
            if method == "chat.postEphemeral":
                return 200, {}, {"ok": True, "message_ts": self._next_ts()}
            if method == "conversations.replies":
                msgs = self.replies.get((body.get("channel", ""), body.get("ts", "")), [])
                return 200, {}, {"ok": True, "messages": msgs, "has_more": False}
            if method in ("reactions.add", "reactions.remove", "views.publish"):
                return 200, {}, {"ok": True}
            return 200, {}, {"ok": False, "error": "unknown_method"}

    # ------------------------------------------------------------------ inspection

    def of(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [c.body for c in self.calls if c.method == method]

    def methods(self) -> list[str]:
        with self._lock:
            return [c.method for c in self.calls]

    def wait_for(self, cond: Callable[[], Any], *, timeout: float = 10.0, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = cond()
            if result:
                return result
            time.sleep(0.01)
        raise AssertionError(f"timed out waiting for {what}; calls: {self.methods()}")
