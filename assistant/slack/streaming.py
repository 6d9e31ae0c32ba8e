"""Showing an answer in Slack while the LLM writes it, then the final answer in its place.

The service passes the answer's *verified* draft as it grows (``ask_streaming``'s
``on_draft``: only sentences that already passed the citation check, numbered as in the final
answer), so nothing shown here was unchecked. When the answer is ready, ``finish`` replaces
the draft with the rendered answer (citations, sources, feedback buttons): whatever the draft
said, the final message is the verified answer, or the extractive one with its note when the
LLM failed mid-way.

Two ways to show a draft:

* Slack's streaming methods (``chat.startStream`` → ``chat.appendStream`` →
  ``chat.stopStream``, what slack_sdk's ``WebClient.chat_stream`` helper wraps). A stream is a
  new message, so the "Looking through…" placeholder is deleted once it starts; after
  ``chat.stopStream`` the streamed message is replaced with the answer by ``chat.update``.
  We call the three methods ourselves rather than through ``chat_stream``: the helper buffers
  by size only, sends ``chunks`` (and so gives no say over when to flush), while a draft here
  grows a sentence at a time and is flushed at most once per ``min_interval``.
* Where the workspace does not offer streaming (``unknown_method``, ``not_allowed``, … the
  first time: remembered by ``StreamSupport`` for the process), the placeholder itself is
  updated with the draft, at most once per ``min_interval`` (Slack rate-limits chat.update).

With the extractive default no draft ever comes, and ``finish`` simply replaces the
placeholder, as before streaming existed.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError

from assistant.slack.blocks import Message, context, escape, section, split_text

MIN_INTERVAL = 1.0  # seconds between two draft updates of one message
STREAM_TEXT_LIMIT = 12_000  # markdown_text per chat.*Stream call
DRAFT_NOTE = "_Writing the answer; sources follow when it is checked…_"
# Errors meaning "this workspace / app cannot stream at all": asked once, then remembered.
NO_STREAMING = frozenset({
    "unknown_method", "not_allowed", "not_allowed_token_type", "method_deprecated",
    "missing_scope", "feature_not_enabled", "no_permission", "not_enabled", "invalid_auth",
})
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_~<>\[\]#|])")


@dataclass
class StreamSupport:
    """Whether the workspace offers chat streaming (None: not tried yet), shared by all
    answers of a process, and the bot's team id (streaming to a channel names a recipient)."""

    available: bool | None = None
    team_id: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def refuse(self, error: str) -> None:
        with self._lock:
            self.available = False

    def confirm(self) -> None:
        with self._lock:
            if self.available is None:
                self.available = True

    def team(self, client: Any) -> str | None:
        if self.team_id is None:
            try:
                self.team_id = str(client.auth_test().get("team_id") or "") or None
            except Exception:  # the stream is tried without; Slack says if it is needed
                self.team_id = None
        return self.team_id


def ask(service: Any, question: str, *, on_draft: Callable[[str], None] | None,
        **kwargs: Any) -> Any:
    """``service.ask_streaming`` when the service has it and a draft is wanted, else ``ask``."""
    streaming = getattr(service, "ask_streaming", None)
    if on_draft is not None and streaming is not None:
        return streaming(question, on_draft=on_draft, **kwargs)
    return service.ask(question, **kwargs)


def as_markdown(text: str) -> str:
    """Answer text for ``markdown_text``: literal, so "[1]" or "*" are shown as written."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def draft_message(text: str) -> Message:
    """The placeholder's content while the answer is written (the non-streaming way)."""
    chunks = split_text(text)
    shown = [section(escape(c)) for c in chunks[:40]]
    return Message(text=escape(text[:3000]), blocks=shown + [context([DRAFT_NOTE])])


@dataclass
class DraftDelivery:
    """One answer's way into its thread: drafts while it is written, then the answer."""

    client: Any
    channel: str
    thread_ts: str
    placeholder: str | None
    support: StreamSupport
    user: str | None = None
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("assistant.slack"))
    min_interval: float = MIN_INTERVAL
    clock: Callable[[], float] = time.monotonic
    stream_ts: str | None = None
    _sent: str = ""  # draft text already shown
    _last: float = float("-inf")
    _streaming_failed: bool = False
    _updates_failed: bool = False
    _stopped: bool = False

    # ------------------------------------------------------------------ drafts

    def draft(self, text: str) -> None:
        """Show the draft so far (called as it grows; at most one Slack call per interval)."""
        if not text.startswith(self._sent) or text == self._sent:
            return
        if self.stream_ts is None and self._can_stream():
            self._start_stream(text)
            return
        if self.clock() - self._last < self.min_interval:
            return
        if self.stream_ts is not None:
            self._append(text)
        elif self.placeholder and not self._updates_failed:
            self._update_placeholder(text)

    def _can_stream(self) -> bool:
        return self.support.available is not False and not self._streaming_failed

    def _start_stream(self, text: str) -> None:
        kwargs: dict[str, Any] = {"channel": self.channel, "thread_ts": self.thread_ts,
                                  "markdown_text": as_markdown(text)[:STREAM_TEXT_LIMIT]}
        if not self.channel.startswith("D") and self.user:  # outside a DM: name the reader
            kwargs["recipient_user_id"] = self.user
            team = self.support.team(self.client)
            if team:
                kwargs["recipient_team_id"] = team
        try:
            response = self.client.chat_startStream(**kwargs)
        except SlackApiError as e:
            error = str(e.response.get("error") or "")
            if error in NO_STREAMING:
                self.logger.info("Slack streaming is not available here (%s); answers are "
                                 "drafted by chat.update instead", error)
                self.support.refuse(error)
            else:
                self.logger.info("chat.startStream failed in %s (%s); drafting by chat.update",
                                 self.channel, error)
            self._streaming_failed = True
            self.draft(text)  # the chat.update way, now
            return
        except Exception:
            self.logger.exception("chat.startStream failed in %s", self.channel)
            self._streaming_failed = True
            return
        self.support.confirm()
        self.stream_ts = str(response["ts"])
        self._sent, self._last = text, self.clock()
        self._drop_placeholder()

    def _append(self, text: str) -> None:
        delta = as_markdown(text[len(self._sent):])
        try:
            for start in range(0, len(delta), STREAM_TEXT_LIMIT):
                self.client.chat_appendStream(channel=self.channel, ts=self.stream_ts,
                                              markdown_text=delta[start:start + STREAM_TEXT_LIMIT])
        except Exception as e:  # the final answer replaces the message anyway
            self.logger.info("chat.appendStream failed in %s: %s", self.channel, e)
            self._last = float("inf")  # no more drafts for this answer
            return
        self._sent, self._last = text, self.clock()

    def _update_placeholder(self, text: str) -> None:
        try:
            self.client.chat_update(channel=self.channel, ts=self.placeholder,
                                    **draft_message(text).as_kwargs())
        except Exception as e:
            self.logger.info("Draft update failed in %s: %s", self.channel, e)
            self._updates_failed = True
            return
        self._sent, self._last = text, self.clock()

    def _drop_placeholder(self) -> None:
        """The stream is the answer's message now; the placeholder above it goes."""
        if not self.placeholder:
            return
        try:
            self.client.chat_delete(channel=self.channel, ts=self.placeholder)
            self.placeholder = None
        except Exception as e:  # left in place; finish() turns it into a pointer
            self.logger.info("Could not delete the placeholder in %s: %s", self.channel, e)

    # ------------------------------------------------------------------ the answer

    def finish(self, messages: Sequence[Message]) -> bool:
        """Replace the draft (or the placeholder) with the answer's first message and post the
        rest in the thread. False when the answer could not be shown at all."""
        first, rest = messages[0], list(messages[1:])
        target = self.placeholder
        if self.stream_ts is not None:
            if not self._stopped:
                self._stopped = True
                try:
                    self.client.chat_stopStream(channel=self.channel, ts=self.stream_ts)
                except Exception as e:  # an expired stream is a message chat.update can fix
                    self.logger.info("chat.stopStream failed in %s: %s", self.channel, e)
            target = self.stream_ts
        try:
            if target:
                self.client.chat_update(channel=self.channel, ts=target, **first.as_kwargs())
            else:
                self.client.chat_postMessage(channel=self.channel, thread_ts=self.thread_ts,
                                             **first.as_kwargs())
        except Exception:
            self.logger.exception("Delivering the answer failed in %s", self.channel)
            return False
        if self.stream_ts is not None and self.placeholder:
            self._point_placeholder_down()
        for message in rest:
            try:
                self.client.chat_postMessage(channel=self.channel, thread_ts=self.thread_ts,
                                             **message.as_kwargs())
            except Exception:
                self.logger.exception("Posting the rest of the answer failed in %s", self.channel)
                return True  # the first part with its note is shown; no apology over it
        return True

    def _point_placeholder_down(self) -> None:
        try:
            self.client.chat_update(channel=self.channel, ts=self.placeholder,
                                    text="The answer is below.",
                                    blocks=[context(["The answer is below. ⬇️"])])
        except Exception as e:
            self.logger.debug("Could not update the placeholder: %s", e)


__all__ = ["DRAFT_NOTE", "MIN_INTERVAL", "NO_STREAMING", "DraftDelivery", "StreamSupport",
           "as_markdown", "ask", "draft_message"]
