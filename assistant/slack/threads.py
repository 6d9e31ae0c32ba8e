"""Conversation state the bot needs between events, bounded so a long-running bot cannot leak.

* ``TTLSet`` — "have I seen this already?" for event ids and (channel, ts) message claims.
  Slack redelivers events (retries, duplicate deliveries, and one message arriving both as
  ``app_mention`` and ``message.channels``); claiming each message once means one answer.
* ``ThreadMemory`` — which threads the bot answered in and the questions asked there, so a
  follow-up without a mention is answered and gets the earlier questions as ``history``.
  It is an LRU cache: after a restart (or eviction) the state is recovered from Slack with
  ``conversations.replies`` (see ``recover_thread``), so memory is an optimisation, not the
  source of truth.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

_MENTION = re.compile(r"<@([UWB][A-Z0-9_]+)(?:\|[^>]*)?>")


def strip_mention(text: str, bot_user_id: str | None) -> str:
    """Remove the bot's own ``<@U…>`` mention(s) and tidy whitespace; other mentions stay."""

    def repl(m: re.Match[str]) -> str:
        return "" if bot_user_id is None or m.group(1) == bot_user_id else m.group(0)

    return re.sub(r"\s+", " ", _MENTION.sub(repl, text or "")).strip()


def mentions(text: str, user_id: str | None) -> bool:
    return bool(user_id) and any(m.group(1) == user_id for m in _MENTION.finditer(text or ""))


class TTLSet:
    """A bounded, thread-safe set whose members expire after ``ttl`` seconds.

    ``add`` is atomic test-and-set, so two threads delivering the same event cannot both win.
    """

    def __init__(self, *, ttl: float = 600.0, max_size: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._max = max_size
        self._clock = clock
        self._items: OrderedDict[Hashable, float] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, key: Hashable) -> bool:
        """Add ``key``; True if it was new (the caller should proceed), False if seen."""
        now = self._clock()
        with self._lock:
            while self._items:
                oldest, expiry = next(iter(self._items.items()))
                if expiry > now and len(self._items) < self._max:
                    break
                del self._items[oldest]
            if key in self._items:
                return False
            self._items[key] = now + self._ttl
            return True

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            expiry = self._items.get(key)
            return expiry is not None and expiry > self._clock()

    def __len__(self) -> int:
        return len(self._items)


ThreadKey = tuple[str, str]  # (channel, thread_ts)


@dataclass(slots=True)
class ThreadState:
    active: bool  # the bot has answered (or is answering) in this thread
    questions: list[str] = field(default_factory=list)


class ThreadMemory:
    """LRU map thread -> state; ``max_questions`` keeps only the latest questions per thread."""

    def __init__(self, *, max_threads: int = 2000, max_questions: int = 20) -> None:
        self._max_threads = max_threads
        self._max_questions = max_questions
        self._threads: OrderedDict[ThreadKey, ThreadState] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: ThreadKey) -> ThreadState | None:
        with self._lock:
            state = self._threads.get(key)
            if state is not None:
                self._threads.move_to_end(key)
                return ThreadState(state.active, list(state.questions))
            return None

    def put(self, key: ThreadKey, state: ThreadState) -> None:
        with self._lock:
            self._store(key, ThreadState(state.active, state.questions[-self._max_questions :]))

    def begin(self, key: ThreadKey, question: str, *, known: Iterable[str] = ()) -> list[str]:
        """Mark the thread active and record ``question``; return the questions asked before it.

        ``known`` seeds a thread that memory had forgotten (recovered from Slack).
        """
        with self._lock:
            state = self._threads.get(key) or ThreadState(True, list(known))
            history = list(state.questions)
            state.active = True
            state.questions = (state.questions + [question])[-self._max_questions :]
            self._store(key, state)
            return history

    def _store(self, key: ThreadKey, state: ThreadState) -> None:
        self._threads[key] = state
        self._threads.move_to_end(key)
        while len(self._threads) > self._max_threads:
            self._threads.popitem(last=False)


def _is_bot_message(msg: Mapping[str, Any], bot_user_id: str | None, bot_id: str | None) -> bool:
    return bool(
        (bot_user_id and msg.get("user") == bot_user_id)
        or (bot_id and msg.get("bot_id") == bot_id)
    )


def questions_from_replies(
    messages: Iterable[Mapping[str, Any]],
    *,
    bot_user_id: str | None,
    bot_id: str | None,
    before_ts: str,
) -> ThreadState:
    """Rebuild a thread's state from ``conversations.replies`` messages (oldest first).

    The bot is "in" the thread if it posted there; the earlier questions are the human
    messages the bot replied to (the last human message before each bot message), which is
    exactly what ``ThreadMemory.begin`` would have recorded. Other bots are skipped.
    """
    active = False
    questions: list[str] = []
    pending: str | None = None
    for msg in messages:
        if float(msg.get("ts", "0")) >= float(before_ts):
            break
        if _is_bot_message(msg, bot_user_id, bot_id):
            active = True
            if pending:
                questions.append(pending)
                pending = None
        elif not msg.get("bot_id") and msg.get("subtype") in (None, "thread_broadcast"):
            text = strip_mention(str(msg.get("text", "")), bot_user_id)
            pending = text or pending
    return ThreadState(active, questions)


def recover_thread(
    client: Any,
    *,
    channel: str,
    thread_ts: str,
    before_ts: str,
    bot_user_id: str | None,
    bot_id: str | None,
    limit: int = 200,
) -> ThreadState:
    """Ask Slack for the thread's messages (one page is plenty for a Q&A thread)."""
    resp = client.conversations_replies(channel=channel, ts=thread_ts, limit=limit)
    return questions_from_replies(
        resp.get("messages") or [], bot_user_id=bot_user_id, bot_id=bot_id, before_ts=before_ts
    )
