"""A fake Slack Web API on 127.0.0.1 that records every call: for tests and the load test.

Why it lives in the package and not under tests/: ``assistant.slack.loadtest`` (used by the
bench) drives the real bolt app against it, and nothing may leave the machine. It binds the
loopback interface only and implements just what the bot calls:

* ``auth.test``, ``chat.postMessage``/``chat.update``/``chat.postEphemeral``,
  ``conversations.replies``, ``conversations.members`` (from ``members``; other channels are
  "channel_not_found", as for a DM the bot is not in), ``reactions.*``, ``views.publish``;
* ``response_url`` posts (``/response/<name>``);
* file uploads the v2 way (``files.getUploadURLExternal`` -> raw POST to the returned
  ``/upload/<file_id>`` URL -> ``files.completeUploadExternal``), recording the bytes;
* file downloads: ``files.info`` and ``url_private_download`` for files registered with
  ``add_file``, served only with ``Authorization: Bearer <bot token>`` like Slack does;
* ``apps.connections.open`` (Socket Mode), answered by an attached
  ``assistant.slack.fakesocket.FakeSocketMode`` with a single-use WebSocket URL.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, urlsplit

if TYPE_CHECKING:
    from assistant.slack.fakesocket import FakeSocketMode

BOT_USER_ID = "U_BOT"
BOT_ID = "B_BOT"


@dataclass
class Call:
    method: str  # "chat.postMessage", "response:<name>", "upload:<file_id>", "download:<file_id>"
    body: dict[str, Any]
    result: dict[str, Any] = field(default_factory=dict)  # what the fake answered
    at: float = field(default_factory=time.monotonic)  # when it arrived (load-test latency)


@dataclass
class StoredFile:
    id: str
    name: str
    data: bytes
    user: str = "U1"
    mimetype: str = "application/octet-stream"


@dataclass
class FakeSlack:
    token: str = "xoxb-test-token"
    host: str = "127.0.0.1"
    calls: list[Call] = field(default_factory=list)
    replies: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    failures: dict[str, list[tuple[int, dict[str, str], str]]] = field(default_factory=dict)
    files: dict[str, StoredFile] = field(default_factory=dict)
    uploads: dict[str, bytes] = field(default_factory=dict)  # file_id -> bytes uploaded by the bot
    streams: dict[str, list[str]] = field(default_factory=dict)  # ts -> markdown chunks streamed
    members: dict[str, list[str]] = field(default_factory=dict)  # channel -> conversations.members
    socket_mode: FakeSocketMode | None = None  # answers apps.connections.open (FakeSocketMode.attach)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ts: int = 0
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        if self.host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the fake Slack API binds the loopback interface only")
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                split = urlsplit(self.path)
                if split.path.startswith("/files-pri/"):
                    self._send(*fake._download(split.path, self.headers.get("Authorization", "")))
                else:
                    self._reply(*fake._dispatch(split.path, dict(parse_qsl(split.query))))

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = urlsplit(self.path).path
                if path.startswith("/upload/"):
                    self._send(*fake._upload(path, raw))
                    return
                text = raw.decode()
                ctype = self.headers.get("Content-Type", "")
                body = json.loads(text or "{}") if "json" in ctype else dict(parse_qsl(text))
                self._reply(*fake._dispatch(path, body, self.headers.get("Authorization", "")))

            def _reply(self, status: int, headers: dict[str, str], payload: dict[str, Any]) -> None:
                self._send(status, {**headers, "Content-Type": "application/json"},
                           json.dumps(payload).encode())

            def _send(self, status: int, headers: dict[str, str], data: bytes) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer((self.host, 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
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

    def add_file(self, name: str, data: bytes, *, user: str = "U1",
                 mimetype: str = "application/octet-stream") -> dict[str, Any]:
        """Register a file someone shared; returns its Slack file object (as in events)."""
        with self._lock:
            file_id = f"F{next(self._ids):08d}"
            self.files[file_id] = StoredFile(file_id, name, data, user, mimetype)
            return self._file_object(self.files[file_id])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ------------------------------------------------------------------ behaviour

    def _next_ts(self) -> str:
        self._ts += 1
        return f"1700000000.{self._ts:06d}"

    def _file_object(self, f: StoredFile) -> dict[str, Any]:
        return {
            "id": f.id, "name": f.name, "title": f.name, "mimetype": f.mimetype, "size": len(f.data),
            "user": f.user, "mode": "hosted",
            "url_private": f"{self.url}/files-pri/T1-{f.id}/{quote(f.name)}",
            "url_private_download": f"{self.url}/files-pri/T1-{f.id}/download/{quote(f.name)}",
            "permalink": f"https://test.slack.com/files/{f.user}/{f.id}/{quote(f.name)}",
        }

    def _record(self, method: str, body: dict[str, Any], result: dict[str, Any]) -> None:
        self.calls.append(Call(method, body, result))

    def _download(self, path: str, authorization: str) -> tuple[int, dict[str, str], bytes]:
        file_id = path.split("/")[2].split("-", 1)[-1]
        with self._lock:
            f = self.files.get(file_id)
            authorised = authorization == f"Bearer {self.token}"
            self._record("download:" + file_id, {"authorised": authorised}, {})
        if f is None:
            return 404, {}, b"not found"
        if not authorised:  # Slack answers an HTML login page; a 403 is clearer in tests
            return 403, {}, b"forbidden"
        return 200, {"Content-Type": f.mimetype}, f.data

    def _upload(self, path: str, data: bytes) -> tuple[int, dict[str, str], bytes]:
        file_id = path.rsplit("/", 1)[-1]
        with self._lock:
            self.uploads[file_id] = data
            self._record("upload:" + file_id, {"length": len(data)}, {})
        return 200, {"Content-Type": "text/plain"}, b"OK - " + str(len(data)).encode()

    def _dispatch(self, path: str, body: dict[str, Any],
                  authorization: str = "") -> tuple[int, dict[str, str], dict[str, Any]]:
        if path.startswith("/response/"):
            with self._lock:
                self._record("response:" + path[len("/response/"):], body, {"ok": True})
            return 200, {}, {"ok": True}
        method = path.rsplit("/", 1)[-1]
        with self._lock:
            queued = self.failures.get(method)
            if queued:
                status, headers, error = queued.pop(0)
                self._record(method + f"!{status}", body, {"ok": False, "error": error})
                return status, headers, {"ok": False, "error": error}
            result = self._answer(method, body, authorization)
            self._record(method, body, result)
            return 200, {}, result

    def _answer(self, method: str, body: dict[str, Any], authorization: str = "") -> dict[str, Any]:
        """The fake's reply to one Web API method (called with the lock held)."""
        if method == "apps.connections.open":  # Socket Mode: needs the app-level token
            if self.socket_mode is None:
                return {"ok": False, "error": "socket_mode_not_enabled"}
            return self.socket_mode.open_connection(authorization)
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER_ID, "bot_id": BOT_ID,
                    "team_id": "T1", "user": "remix", "team": "Test"}
        if method in ("chat.postMessage", "chat.update"):
            ts = body.get("ts") or self._next_ts()
            return {"ok": True, "channel": body.get("channel"), "ts": ts,
                    "message": {"text": body.get("text"), "ts": ts}}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method == "conversations.members":  # DMs and group DMs: who reads the bot's posts
            members = self.members.get(str(body.get("channel", "")))
            if members is None:
                return {"ok": False, "error": "channel_not_found"}
            return {"ok": True, "members": list(members), "response_metadata": {"next_cursor": ""}}
        if method == "conversations.replies":
            msgs = self.replies.get((body.get("channel", ""), body.get("ts", "")), [])
            return {"ok": True, "messages": msgs, "has_more": False}
        if method in ("reactions.add", "reactions.remove", "views.publish",
                      "assistant.threads.setStatus", "assistant.threads.setSuggestedPrompts",
                      "assistant.threads.setTitle"):
            return {"ok": True}
        if method == "chat.startStream":  # Slack's streaming API: start -> append* -> stop
            ts = self._next_ts()
            self.streams[ts] = [str(body.get("markdown_text") or "")]
            return {"ok": True, "channel": body.get("channel"), "ts": ts}
        if method in ("chat.appendStream", "chat.stopStream"):
            parts = self.streams.get(str(body.get("ts", "")))
            if parts is None:
                return {"ok": False, "error": "message_not_found"}
            parts.append(str(body.get("markdown_text") or ""))
            return {"ok": True, "channel": body.get("channel"), "ts": body.get("ts")}
        if method == "files.info":
            f = self.files.get(str(body.get("file", "")))
            return {"ok": True, "file": self._file_object(f)} if f else {"ok": False, "error": "file_not_found"}
        if method == "files.getUploadURLExternal":
            file_id = f"F_UP{next(self._ids):06d}"
            return {"ok": True, "file_id": file_id, "upload_url": f"{self.url}/upload/{file_id}"}
        if method == "files.completeUploadExternal":
            files = body.get("files")
            files = json.loads(files) if isinstance(files, str) else files or []
            missing = [f["id"] for f in files if f["id"] not in self.uploads]
            if missing:
                return {"ok": False, "error": "file_not_uploaded"}
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        return {"ok": False, "error": "unknown_method"}

    # ------------------------------------------------------------------ inspection

    def of(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [c.body for c in self.calls if c.method == method]

    def recorded(self) -> list[Call]:
        with self._lock:
            return list(self.calls)

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
