"""Answers in flight, so that a shutdown can close the ones it cannot wait for.

Why: on SIGTERM the runner waits a few seconds for answers being prepared; an answer that
cannot finish in time would otherwise leave "Looking through the project documents…" and the
⏳ reaction in Slack forever. Each answer registers a ``Turn`` with a ``close`` action (replace
the placeholder with ``RESTARTED_TEXT``, remove the reaction). Exactly one side delivers: the
worker calls ``turn.claim()`` before posting its answer, the shutdown claims every turn still
open before closing it, and whoever claims first wins, so a finished answer is never
overwritten by the restart notice (nor the other way round).

One registry per process (``ANSWERS``), because a signal stops the whole process.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_sdk.webhook import WebhookClient

from assistant.slack.blocks import simple

RESTARTED_TEXT = "I was restarted before I could answer — please ask again."
log = logging.getLogger("assistant.slack")


class Turn:
    """One answer being prepared; ``claim()`` is True for the first caller only."""

    def __init__(self, registry: InFlight, close: Callable[[], None]) -> None:
        self._registry, self._close = registry, close
        self._claimed = False
        self._lock = threading.Lock()

    def claim(self) -> bool:
        with self._lock:
            if self._claimed:
                return False
            self._claimed = True
            return True

    def done(self) -> None:
        self._registry._discard(self)


class InFlight:
    """The set of open turns; ``abandon`` closes those no worker has claimed."""

    def __init__(self) -> None:
        self._turns: set[Turn] = set()
        self._lock = threading.Lock()

    def begin(self, close: Callable[[], None]) -> Turn:
        turn = Turn(self, close)
        with self._lock:
            self._turns.add(turn)
        return turn

    def _discard(self, turn: Turn) -> None:
        with self._lock:
            self._turns.discard(turn)

    def __len__(self) -> int:
        with self._lock:
            return len(self._turns)

    def abandon(self, *, timeout: float) -> int:
        """Close every unclaimed turn (in parallel, at most ``timeout`` seconds); how many."""
        with self._lock:
            turns = [t for t in self._turns if t.claim()]
        threads = [threading.Thread(target=_run_quietly, args=(t._close,), daemon=True,
                                    name="slack-restart-notice") for t in turns]
        for t in threads:
            t.start()
        deadline = time.monotonic() + timeout
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        return len(turns)


def _run_quietly(close: Callable[[], None]) -> None:
    try:
        close()
    except Exception:  # a notice that fails must not stop the others
        log.exception("Could not tell an asker that the bot restarted")


ANSWERS = InFlight()


# --------------------------------------------------------------------------- close actions


def thread_notice(client: Any, *, channel: str, thread_ts: str, message_ts: str,
                  placeholder: str | None, reaction: str) -> Callable[[], None]:
    """Close a thread answer: the placeholder says "restarted", the reaction goes."""

    def close() -> None:
        notice = simple(RESTARTED_TEXT).as_kwargs()
        try:
            if placeholder:
                client.chat_update(channel=channel, ts=placeholder, **notice)
            else:
                client.chat_postMessage(channel=channel, thread_ts=thread_ts, **notice)
        finally:
            client.reactions_remove(channel=channel, timestamp=message_ts, name=reaction)

    return close


def pane_notice(say: Callable[..., Any], set_status: Callable[[str], Any]) -> Callable[[], None]:
    """Close an AI-app pane answer: "restarted" in its thread, and the status cleared."""

    def close() -> None:
        try:
            say(**simple(RESTARTED_TEXT).as_kwargs())
        finally:
            set_status("")

    return close


def response_notice(response_url: str | None) -> Callable[[], None]:
    """Close a `/remix` answer: its private "Looking through…" message says "restarted"."""

    def close() -> None:
        if response_url:
            WebhookClient(response_url, timeout=5).send_dict(
                {"response_type": "ephemeral", "replace_original": True, **simple(RESTARTED_TEXT).as_kwargs()})

    return close
