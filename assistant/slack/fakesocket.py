"""A fake Slack Socket Mode server on 127.0.0.1, speaking the real protocol: for tests and the load test.

Why: bolt's ``SocketModeHandler`` (slack_sdk's built-in WebSocket client) copies each envelope's
``retry_attempt`` into a retry header, reconnects on its own, and acks over the socket; a fake of
our own seam hides all of that. This server is what the real client talks to:

* ``apps.connections.open`` on the fake Web API (``FakeSlack``, see ``attach``) checks the
  app-level token and hands out a single-use ``ws://127.0.0.1:PORT/link/?ticket=...`` URL;
* on connect the server says ``hello``; envelopes are shaped like Slack's
  (``events_api`` with ``retry_attempt``/``retry_reason``, ``slash_commands`` accepting a response
  payload, ``interactive``), each with a fresh ``envelope_id``, sent on the newest connection;
* every ack (``{"envelope_id": ..., "payload"?}``) is recorded with its arrival time, so a test
  can wait for it and check it came within Slack's 3-second deadline;
* ``refresh()`` sends ``{"type": "disconnect", "reason": "refresh_requested"}`` (Slack's
  periodic refresh) and ``drop()`` closes the socket without warning (a Slack server restart).

Bounded: loopback only, every wait has a timeout, ``close()`` stops the server and its threads.
"""

from __future__ import annotations

import http
import itertools
import json
import secrets
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import ServerConnection, serve

if TYPE_CHECKING:
    from assistant.slack.fakeapi import FakeSlack

ACK_DEADLINE = 3.0  # Slack's: an envelope not acked within 3 s is retried (retry_attempt + 1)
TEAM, APP_ID = "T1", "A1"


@dataclass(frozen=True)
class Ack:
    envelope_id: str
    payload: dict[str, Any] | None  # the response payload (e.g. a slash command's reply), if any
    delay: float  # seconds from sending the envelope to receiving its ack
    connection: int  # which connection (1, 2, ...) carried it


@dataclass
class _Link:
    number: int
    ws: ServerConnection
    open: bool = True


class FakeSocketMode:
    """Slack's Socket Mode end: hands out URLs, sends envelopes, records acks."""

    def __init__(self, *, app_token: str = "xapp-1-A1-test", bot_user_id: str = "U_BOT",
                 host: str = "127.0.0.1") -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the fake Socket Mode server binds the loopback interface only")
        self.app_token = app_token
        self.bot_user_id = bot_user_id
        self._lock = threading.Condition()
        self._tickets: set[str] = set()
        self._links: list[_Link] = []
        self._sent: dict[str, float] = {}  # envelope_id -> monotonic time sent
        self._acks: dict[str, Ack] = {}
        self._unknown_acks: list[dict[str, Any]] = []  # acks for envelopes never sent (a bug)
        self.opened_urls = 0  # apps.connections.open calls answered with a URL
        self._ids = itertools.count(1)
        self._send_lock = threading.Lock()
        self.server = serve(self._handle, host, 0, process_request=self._check_ticket,
                            compression=None, ping_interval=None)
        self.port = self.server.socket.getsockname()[1]
        self._thread = threading.Thread(target=self.server.serve_forever, name="fake-socket-mode",
                                        daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ wiring

    def attach(self, slack: FakeSlack) -> FakeSocketMode:
        """Let ``slack``'s ``apps.connections.open`` hand out this server's URLs."""
        slack.socket_mode = self
        return self

    def open_connection(self, authorization: str) -> dict[str, Any]:
        """The Web API answer to ``apps.connections.open`` (called by ``FakeSlack``)."""
        token = authorization.removeprefix("Bearer ").strip()
        if not token:
            return {"ok": False, "error": "not_authed"}
        if not token.startswith("xapp-"):
            return {"ok": False, "error": "not_allowed_token_type"}
        if token != self.app_token:
            return {"ok": False, "error": "invalid_auth"}
        ticket = secrets.token_hex(8)
        with self._lock:
            self._tickets.add(ticket)
            self.opened_urls += 1
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id={APP_ID}"}

    def close(self) -> None:
        self.server.shutdown()
        self._thread.join(timeout=5)

    # ------------------------------------------------------------------ the socket

    def _check_ticket(self, ws: ServerConnection, request: Request) -> Response | None:
        split = urlsplit(request.path)
        ticket = (parse_qs(split.query).get("ticket") or [""])[0]
        with self._lock:
            if split.path != "/link/" or ticket not in self._tickets:
                return ws.respond(http.HTTPStatus.UNAUTHORIZED, "invalid or used ticket\n")
            self._tickets.discard(ticket)  # single use, like Slack's
        return None

    def _handle(self, ws: ServerConnection) -> None:
        with self._lock:
            link = _Link(number=len(self._links) + 1, ws=ws)
            self._links.append(link)
            open_now = sum(l.open for l in self._links)
        try:
            ws.send(json.dumps({
                "type": "hello", "num_connections": open_now,
                "debug_info": {"host": "applink-fake", "build_number": 1,
                               "approximate_connection_time": 18060},
                "connection_info": {"app_id": APP_ID}}))
            with self._lock:
                self._lock.notify_all()
            for raw in ws:
                self._received(link, raw)
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                link.open = False
                self._lock.notify_all()

    def _received(self, link: _Link, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            return
        if not isinstance(message, dict) or "envelope_id" not in message:
            return
        envelope_id = str(message["envelope_id"])
        now = time.monotonic()
        with self._lock:
            sent = self._sent.get(envelope_id)
            if sent is None or envelope_id in self._acks:
                self._unknown_acks.append(message)
            else:
                self._acks[envelope_id] = Ack(envelope_id, message.get("payload"), now - sent,
                                              link.number)
            self._lock.notify_all()

    # ------------------------------------------------------------------ connections

    @property
    def connections(self) -> int:
        """How many WebSocket connections were ever opened."""
        with self._lock:
            return len(self._links)

    @property
    def open_connections(self) -> int:
        with self._lock:
            return sum(l.open for l in self._links)

    def wait_connected(self, count: int = 1, *, timeout: float = 15.0) -> None:
        """Until ``count`` connections were opened and one of the newest of them is open."""
        def ready() -> bool:
            return len(self._links) >= count and any(l.open for l in self._links[count - 1:])

        with self._lock:
            ok = self._lock.wait_for(ready, timeout=timeout)
            opened = len(self._links)
        if not ok:
            raise AssertionError(f"no connection #{count} open within {timeout}s "
                                 f"({opened} opened, {self.opened_urls} URLs issued)")

    def wait_closed(self, number: int, *, timeout: float = 10.0) -> None:
        """Until connection ``number`` (1 = the first ever opened) is closed."""
        with self._lock:
            ok = self._lock.wait_for(lambda: len(self._links) >= number and not self._links[number - 1].open,
                                     timeout=timeout)
        if not ok:
            raise AssertionError(f"connection #{number} still open after {timeout}s")

    def wait_disconnected(self, *, timeout: float = 10.0) -> None:
        """Until no connection is open (the client went away)."""
        with self._lock:
            if not self._lock.wait_for(lambda: not any(l.open for l in self._links), timeout=timeout):
                raise AssertionError(f"a connection is still open after {timeout}s")

    def _newest(self) -> _Link:
        with self._lock:
            for link in reversed(self._links):
                if link.open:
                    return link
        raise ConnectionError("no open Socket Mode connection")

    def refresh(self) -> None:
        """Slack's periodic "please reconnect": the client opens a new URL, then drops this one."""
        self._newest().ws.send(json.dumps({"type": "disconnect", "reason": "refresh_requested",
                                           "debug_info": {"host": "applink-fake"}}))

    def drop(self) -> None:
        """Close the newest connection without warning (code 1001, as when a Slack host restarts)."""
        link = self._newest()
        link.ws.close(code=1001, reason="")

    # ------------------------------------------------------------------ envelopes

    def send_envelope(self, type: str, payload: Mapping[str, Any], **fields: Any) -> str:
        """Send one envelope on the newest open connection; returns its envelope_id."""
        envelope_id = str(uuid.uuid4())
        message = {"envelope_id": envelope_id, "payload": dict(payload), "type": type, **fields}
        link = self._newest()
        with self._send_lock:
            with self._lock:
                self._sent[envelope_id] = time.monotonic()
            try:
                link.ws.send(json.dumps(message))
            except ConnectionClosed as e:
                raise ConnectionError(f"connection #{link.number} closed while sending: {e}") from None
        return envelope_id

    def send_event(self, event: Mapping[str, Any], *, event_id: str | None = None,
                   retry_attempt: int = 0, retry_reason: str = "") -> str:
        """An ``events_api`` envelope; ``retry_attempt`` 0 is a first delivery (Slack always sends it)."""
        payload = {
            "token": "legacy", "team_id": TEAM, "api_app_id": APP_ID, "event": dict(event),
            "type": "event_callback", "event_id": event_id or f"Ev{next(self._ids):08d}",
            "event_time": int(time.time()),
            "authorizations": [{"enterprise_id": None, "team_id": TEAM, "user_id": self.bot_user_id,
                                "is_bot": True, "is_enterprise_install": False}],
            "is_ext_shared_channel": False,
            "event_context": f"4-{event.get('type')}-{TEAM}-{event.get('channel', '')}",
        }
        return self.send_envelope("events_api", payload, accepts_response_payload=False,
                                  retry_attempt=retry_attempt, retry_reason=retry_reason)

    def send_command(self, text: str, *, response_url: str, channel: str = "C1", user: str = "U1",
                     command: str = "/remix", channel_name: str = "general") -> str:
        """A ``slash_commands`` envelope (its ack may carry the immediate reply)."""
        payload = {
            "token": "legacy", "team_id": TEAM, "team_domain": "test", "channel_id": channel,
            "channel_name": channel_name, "user_id": user, "user_name": user.lower(),
            "command": command, "text": text, "api_app_id": APP_ID, "is_enterprise_install": "false",
            "response_url": response_url, "trigger_id": f"{next(self._ids)}.1.fake",
        }
        return self.send_envelope("slash_commands", payload, accepts_response_payload=True)

    def send_interactive(self, payload: Mapping[str, Any]) -> str:
        """An ``interactive`` envelope (block_actions, shortcuts, view submissions)."""
        accepts = payload.get("type") in ("view_submission", "block_suggestion")
        return self.send_envelope("interactive", payload, accepts_response_payload=accepts)

    # ------------------------------------------------------------------ acks

    def acked(self, envelope_id: str) -> Ack | None:
        with self._lock:
            return self._acks.get(envelope_id)

    def wait_ack(self, envelope_id: str, *, timeout: float = ACK_DEADLINE) -> Ack | None:
        """The envelope's ack, waiting up to ``timeout`` seconds; None if it did not come."""
        with self._lock:
            self._lock.wait_for(lambda: envelope_id in self._acks, timeout=timeout)
            return self._acks.get(envelope_id)

    def ack(self, envelope_id: str, *, within: float = ACK_DEADLINE) -> Ack:
        """The ack, which must arrive within ``within`` seconds of sending (Slack's deadline)."""
        with self._lock:
            sent = self._sent.get(envelope_id)
        if sent is None:
            raise AssertionError(f"envelope {envelope_id} was never sent")
        got = self.wait_ack(envelope_id, timeout=max(0.0, sent + within - time.monotonic()))
        if got is None or got.delay > within:
            raise AssertionError(f"envelope {envelope_id} not acked within {within}s: {got}")
        return got

    def acks(self) -> list[Ack]:
        with self._lock:
            return list(self._acks.values())

    def stray_acks(self) -> list[dict[str, Any]]:
        """Acks for envelopes never sent, or acked twice: always a bug in the client side."""
        with self._lock:
            return list(self._unknown_acks)
