"""Start the bot: Socket Mode (no public URL needed) or HTTP (Events API request URL), and stop it cleanly.

Token checks happen before anything slow (loading the index) so a typo costs one clear line,
not a minute and a traceback. The HTTP server is a threaded WSGI server around bolt's WSGI
adapter (bolt's own dev server is single-threaded and binds 0.0.0.0 only).

Socket Mode uses bolt's ``SocketModeHandler`` (slack_sdk's built-in WebSocket client) with a
short ping interval: when Slack closes the socket, that client reconnects only at its next
health check, so the interval is the longest gap without events (bolt's default is 10 s).

Stopping (SIGTERM, or Ctrl+C): stop taking work at once (close the socket, or stop the HTTP
server), then give the answers in flight until ``DRAIN_SECONDS`` after the signal to finish;
any still running then get their placeholder replaced by "I was restarted before I could
answer — please ask again" and their ⏳ removed (``assistant.slack.inflight``), and the process
exits 0 without waiting for them. Nothing is left saying "Looking through…" forever.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import Any, Literal
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.errors import SlackApiError

from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.slack.app import secret
from assistant.slack.inflight import ANSWERS, InFlight

log = logging.getLogger("assistant.slack")

Mode = Literal["socket", "http"]
EVENTS_PATH = "/slack/events"
PING_INTERVAL = 2.0  # seconds between Socket Mode health checks (= longest reconnect delay)
DRAIN_SECONDS = 6.0  # after a stop signal, answers in flight may finish until then...
NOTICE_SECONDS = 2.0  # ...then the unfinished ones are told "restarted" within this (exit < 10 s)


@dataclass(frozen=True, slots=True)
class Launch:
    """What ``resolve_launch`` decided: the transport and the credentials it needs."""

    mode: Mode
    bot_token: str
    app_token: str | None = None
    signing_secret: str | None = None


def resolve_launch(settings: Settings, *, http: bool = False) -> Launch:
    """Pick the transport and validate the tokens it needs; ConfigError (one line) otherwise.

    Socket Mode is used when SLACK_APP_TOKEN is set (unless ``http``); HTTP mode needs
    SLACK_SIGNING_SECRET. The bot token is always needed and must be a bot token (xoxb-).
    """
    bot = secret(settings.slack_bot_token)
    app_token = secret(settings.slack_app_token)
    signing = secret(settings.slack_signing_secret)
    if not bot:
        raise ConfigError("SLACK_BOT_TOKEN is not set; export the bot token (xoxb-…) — see the README, section Slack.")
    if not bot.startswith("xoxb-"):
        raise ConfigError(
            "SLACK_BOT_TOKEN must be a bot token starting with 'xoxb-' "
            "(Slack app > OAuth & Permissions > Bot User OAuth Token)."
        )
    if not http and app_token:
        if not app_token.startswith("xapp-"):
            raise ConfigError(
                "SLACK_APP_TOKEN must be an app-level token starting with 'xapp-' "
                "(Slack app > Basic Information > App-Level Tokens, scope connections:write)."
            )
        return Launch(mode="socket", bot_token=bot, app_token=app_token, signing_secret=signing)
    if signing:
        return Launch(mode="http", bot_token=bot, signing_secret=signing)
    if http:
        raise ConfigError(
            "HTTP mode needs SLACK_SIGNING_SECRET (Slack app > Basic Information > Signing Secret)."
        )
    raise ConfigError(
        "Set SLACK_APP_TOKEN (xapp-…) for Socket Mode, or SLACK_SIGNING_SECRET for HTTP mode "
        "(--http); see the README, section Slack."
    )


# --------------------------------------------------------------------------- Socket Mode


def connect_socket_mode(app: App, *, app_token: str) -> SocketModeHandler:
    """Open the Socket Mode connection (it reconnects by itself); ConfigError when Slack refuses."""
    handler = SocketModeHandler(app, app_token, ping_interval=PING_INTERVAL)
    try:
        handler.connect()
    except SlackApiError as e:  # apps.connections.open said no
        handler.close()
        raise ConfigError(
            f"Slack rejected SLACK_APP_TOKEN (apps.connections.open: {e.response.get('error')}); "
            "check the app-level token (scope connections:write) — see the README, section Slack."
        ) from None
    except OSError as e:
        handler.close()
        raise ConfigError(f"Could not reach the Slack API at {app.client.base_url}: {e}") from None
    return handler


def close_socket_mode(handler: SocketModeHandler) -> None:
    """Stop taking envelopes now: no reconnect, socket shut, handler threads stopped.

    Shutting the socket first wakes the client's blocking receive at once instead of after its
    3-second socket timeout (``close()`` waits for that receive to let go of the socket).
    """
    client = handler.client
    client.auto_reconnect_enabled = False
    sock = getattr(client.current_session, "sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed
    handler.close()


# --------------------------------------------------------------------------- HTTP


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a hung client must not keep the process alive on shutdown
    allow_reuse_address = True
    # socketserver's default listen backlog is 5: a burst of Slack deliveries (the load test's
    # 20 concurrent users) overflowed it, and the dropped SYNs cost a 1 s retransmit or a reset.
    request_queue_size = 128


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s - %s", self.address_string(), format % args)


def make_http_server(app: App, *, host: str = "127.0.0.1", port: int = 3000) -> WSGIServer:
    """A bound (not yet serving) server; port 0 picks a free port (see ``server.server_port``)."""
    return make_server(
        host,
        port,
        SlackRequestHandler(app, path=EVENTS_PATH),
        server_class=_ThreadingWSGIServer,
        handler_class=_QuietHandler,
    )


# --------------------------------------------------------------------------- running and stopping


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set ``stop`` (a second one exits at once); handlers restored after."""

    def handle(signum: int, _frame: Any) -> None:
        if stop.is_set():
            os._exit(128 + signum)  # asked twice: the operator does not want to wait
        log.info("Received %s: stopping", signal.Signals(signum).name)
        stop.set()

    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach the main thread only; the caller sets ``stop`` itself
        return
    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _wait(stop: threading.Event) -> None:
    # polls rather than blocking in Event.wait: the signal handler sets the event on this very
    # thread, and must never need a lock this thread could be holding
    while not stop.is_set():
        time.sleep(0.1)


def drain(executor: Executor, *, answers: InFlight, deadline: float) -> bool:
    """Let the listener pool finish its work until ``deadline`` (monotonic); True if it did.

    Otherwise queued work is cancelled (nothing was shown for it yet) and answers still
    being prepared are told "restarted" (``answers.abandon``); their threads are left behind.
    """
    waiter = threading.Thread(target=executor.shutdown, kwargs={"wait": True}, daemon=True,
                              name="slack-drain")
    waiter.start()
    waiter.join(max(0.0, deadline - time.monotonic()))
    if not waiter.is_alive():
        return True
    executor.shutdown(wait=False, cancel_futures=True)
    closed = answers.abandon(timeout=NOTICE_SECONDS)
    log.warning("Stopped with %d answer(s) unfinished; told the askers to ask again", closed)
    return False


def run(app: App, launch: Launch, *, stop: threading.Event, host: str = "127.0.0.1", port: int = 3000,
        drain_seconds: float = DRAIN_SECONDS, answers: InFlight = ANSWERS) -> bool:
    """Serve until ``stop`` is set, then stop taking work and drain; True if every answer finished."""
    if launch.mode == "socket":
        assert launch.app_token is not None
        handler = connect_socket_mode(app, app_token=launch.app_token)
        if handler.client.is_connected():
            log.info("Connected to Slack in Socket Mode")
        else:  # the reason is in slack_sdk's log line above
            log.warning("Socket Mode connection not open yet; retrying every %.0f s", PING_INTERVAL)
        _wait(stop)
        deadline = time.monotonic() + drain_seconds
        close_socket_mode(handler)
    else:
        server = make_http_server(app, host=host, port=port)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                  name="slack-http", daemon=True)
        thread.start()
        log.info("Listening for Slack on http://%s:%s%s", host, server.server_port, EVENTS_PATH)
        try:
            _wait(stop)
        finally:
            deadline = time.monotonic() + drain_seconds
            server.shutdown()
            server.server_close()
    pending = len(answers)
    if pending:
        log.info("Finishing %d answer(s) in flight (at most %.0f s)", pending, drain_seconds)
    return drain(app.listener_runner.listener_executor, answers=answers, deadline=deadline)


def serve(app: App, launch: Launch, *, host: str = "127.0.0.1", port: int = 3000) -> None:
    """Run the bot until SIGTERM/SIGINT; returns once stopped (or exits 0 leaving stuck answers)."""
    stop = threading.Event()
    with stop_on_signals(stop):
        finished = run(app, launch, stop=stop, host=host, port=port)
    if not finished:
        # Worker threads stuck in a slow answer would hold the interpreter's exit (it joins
        # pool threads); their askers have been told, so leave now.
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    log.info("Stopped")
