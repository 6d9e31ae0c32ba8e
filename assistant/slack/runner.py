"""Start the bot: Socket Mode (no public URL needed) or HTTP (Events API request URL).

Token checks happen before anything slow (loading the index) so a typo costs one clear line,
not a minute and a traceback. The HTTP server is a threaded WSGI server around bolt's WSGI
adapter (bolt's own dev server is single-threaded and binds 0.0.0.0 only).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import Any, Literal, Protocol
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.slack.app import secret

log = logging.getLogger("assistant.slack")

Mode = Literal["socket", "http"]
EVENTS_PATH = "/slack/events"


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


class SocketHandler(Protocol):
    def start(self) -> None: ...


SocketHandlerFactory = Callable[..., SocketHandler]


def _builtin_socket_handler(app: App, app_token: str) -> SocketHandler:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    return SocketModeHandler(app, app_token)


def serve_socket_mode(
    app: App, *, app_token: str, handler_factory: SocketHandlerFactory | None = None
) -> SocketHandler:
    """Connect and block (the built-in handler reconnects by itself).

    ``handler_factory(app, app_token)`` defaults to bolt's built-in ``SocketModeHandler``;
    tests inject a fake so nothing connects.
    """
    handler = (handler_factory or _builtin_socket_handler)(app, app_token)
    log.info("Connecting to Slack in Socket Mode")
    handler.start()
    return handler


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


def serve_http(app: App, *, host: str, port: int) -> None:
    server = make_http_server(app, host=host, port=port)
    log.info("Listening for Slack on http://%s:%s%s", host, server.server_port, EVENTS_PATH)
    try:
        server.serve_forever(poll_interval=0.5)
    finally:
        server.server_close()


def serve(
    app: App,
    launch: Launch,
    *,
    host: str = "127.0.0.1",
    port: int = 3000,
    socket_handler_factory: SocketHandlerFactory | None = None,
) -> None:
    if launch.mode == "socket":
        assert launch.app_token is not None
        serve_socket_mode(app, app_token=launch.app_token, handler_factory=socket_handler_factory)
    else:
        serve_http(app, host=host, port=port)
