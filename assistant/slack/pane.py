"""Slack's "Agents & AI Apps" pane, through bolt's ``Assistant`` middleware.

* ``assistant_thread_started``: a short greeting and suggested prompts; the thread and the
  channel the user is viewing (its *context*) are remembered.
* ``assistant_thread_context_changed``: the new context is kept.
* a user message in an assistant thread: "is looking through the project documents…" as the
  thread status, the first question as the thread title, then the same cited answer (with 👍/👎)
  as in a DM, with the thread's earlier questions as history. "hi"/"help" gets the help card,
  "draft <section>" a draft in the thread, "events [FROM] [TO]" the event list
  (``assistant.slack.intents``).

Access rule: the pane is the user's direct message with the bot, and only that user reads it,
so every reply uses the user's DM audience (``Audience.slack(channel=D…, user=U…, im)``): a
restricted document reaches the pane only for a user its access rules name. The viewed channel
is a hint the pane keeps and hands back to Slack (message metadata), never an audience: being
able to *view* #board does not make the board's documents visible here, and it never narrows
what the user may see either.

Which DM threads are assistant threads: the middleware would take *every* threaded DM reply,
including follow-ups in the thread of an ordinary DM question. The pane claims only threads it
saw start (or change context) in this process; any other threaded DM falls through to the
ordinary DM listener, which answers it once as before (so after a restart an old pane thread
is still answered, only without status and title).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from slack_bolt import Assistant
from slack_bolt.context.assistant.thread_context import AssistantThreadContext
from slack_bolt.context.assistant.thread_context_store.store import AssistantThreadContextStore

from assistant.access import Audience
from assistant.slack import blocks, inflight, intents
from assistant.slack.blocks import Message
from assistant.slack.threads import ThreadKey, strip_mention

ANSWER_STATUS = "is looking through the project documents…"
DRAFT_STATUS = "is drafting the section…"
PROMPTS_TITLE = "Try asking"
SUGGESTED_PROMPTS: tuple[str, ...] = (
    "What is REMIX?",
    "Which regions take part in the Mining industry partnership?",
    "Draft the past-events section",
    "What events are planned?",
)
TITLE_LIMIT = 80  # Slack shows the title in the thread list: one short line


class PaneHost(Protocol):
    """What the pane borrows from the bot's handlers (``SlackHandlers``), so an answer, a
    draft or a list in the pane is built exactly as in a DM or by `/remix`."""

    def help_card(self) -> Message: ...

    def claim(self, channel: str, ts: str) -> bool: ...

    def begin_thread(self, key: ThreadKey, question: str) -> list[str]: ...

    def cited_answer(self, question: str, history: list[str], audience: Audience,
                     **meta: Any) -> list[Message]: ...

    def events_reply(self, args: str, audience: Audience) -> Message: ...

    def draft_sections(self) -> Collection[str]: ...

    def draft_into_thread(self, client: Any, *, channel: str, thread_ts: str, args: str,
                          audience: Audience) -> Message | None: ...


def pane_audience(event: Mapping[str, Any]) -> Audience:
    """The user's DM audience (see the module docstring): the pane is their DM with the bot."""
    return Audience.slack(channel=event.get("channel"), user=event.get("user"), channel_type="im")


def thread_title(question: str) -> str:
    line = " ".join(question.split())
    return line if len(line) <= TITLE_LIMIT else line[: TITLE_LIMIT - 1].rstrip() + "…"


@dataclass(slots=True)
class _PaneThread:
    context: dict[str, Any] = field(default_factory=dict)
    titled: bool = False


class PaneThreads(AssistantThreadContextStore):
    """The assistant threads of this process and their context, bounded (LRU).

    Also bolt's thread-context store, so ``get_thread_context``/``save_thread_context`` and
    the metadata ``say`` attaches read and write here instead of the default store's extra
    ``conversations.replies`` + ``chat.update`` round trips per message.
    """

    def __init__(self, *, max_threads: int = 2000) -> None:
        self._max = max_threads
        self._threads: OrderedDict[ThreadKey, _PaneThread] = OrderedDict()
        self._lock = threading.Lock()

    def open(self, channel_id: str, thread_ts: str, context: Mapping[str, Any] | None = None) -> None:
        with self._lock:
            thread = self._threads.get((channel_id, thread_ts)) or _PaneThread()
            if context:
                thread.context = dict(context)
            self._store((channel_id, thread_ts), thread)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._threads

    def save(self, *, channel_id: str, thread_ts: str, context: dict[str, str]) -> None:
        self.open(channel_id, thread_ts, context)

    def find(self, *, channel_id: str, thread_ts: str) -> AssistantThreadContext | None:
        with self._lock:
            thread = self._threads.get((channel_id, thread_ts))
            if thread is None or not thread.context.get("channel_id"):
                return None
            self._threads.move_to_end((channel_id, thread_ts))
            return AssistantThreadContext(dict(thread.context))

    def take_title(self, key: ThreadKey) -> bool:
        """True once per thread: the first question names it."""
        with self._lock:
            thread = self._threads.get(key)
            if thread is None or thread.titled:
                return False
            thread.titled = True
            return True

    def _store(self, key: ThreadKey, thread: _PaneThread) -> None:
        self._threads[key] = thread
        self._threads.move_to_end(key)
        while len(self._threads) > self._max:
            self._threads.popitem(last=False)


def _ack(ack: Any) -> None:
    ack()


@dataclass(kw_only=True)
class AssistantPane:
    host: PaneHost
    threads: PaneThreads = field(default_factory=PaneThreads)
    in_flight: inflight.InFlight = field(default_factory=lambda: inflight.ANSWERS)  # closed on shutdown
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("assistant.slack"))

    def middleware(self) -> Assistant:
        """bolt's Assistant with our listeners; add it with ``app.assistant(...)`` after the
        retry/duplicate gate, so redelivered events never reach it."""
        assistant = Assistant(thread_context_store=self.threads, logger=self.logger)
        # The thread is recorded in the ack (before Slack gets its 200), so a question sent
        # right after the pane opens is already known to be a pane question.
        assistant.thread_started(lazy=[self.greet])(self.open_thread)
        assistant.thread_context_changed(self.keep_context)
        assistant.user_message(matchers=[self.is_pane_question], lazy=[self.reply])(_ack)
        return assistant

    # ------------------------------------------------------------------ thread lifecycle

    def open_thread(self, ack: Any, event: dict[str, Any]) -> None:
        ack()
        self._remember(event)

    def greet(self, say: Any, set_suggested_prompts: Any) -> None:
        try:
            say(**blocks.pane_greeting(SUGGESTED_PROMPTS).as_kwargs())
            set_suggested_prompts(prompts=list(SUGGESTED_PROMPTS), title=PROMPTS_TITLE)
        except Exception:
            self.logger.exception("Greeting a new assistant thread failed")

    def keep_context(self, ack: Any, event: dict[str, Any]) -> None:
        """The user now views another channel: remember it (a hint, never an audience)."""
        ack()
        self._remember(event)

    def _remember(self, event: Mapping[str, Any]) -> None:
        thread = event.get("assistant_thread") or {}
        if thread.get("channel_id") and thread.get("thread_ts"):
            self.threads.open(thread["channel_id"], thread["thread_ts"], thread.get("context"))

    # ------------------------------------------------------------------ messages

    def is_pane_question(self, event: dict[str, Any], context: Any) -> bool:
        """A person's text in a thread this pane opened; files go to the upload listener and
        other threads to the ordinary DM listener."""
        return bool(
            event.get("user") and event.get("user") != context.bot_user_id
            and not event.get("bot_id") and event.get("subtype") is None
            and not event.get("files") and (event.get("text") or "").strip()
            and (event.get("channel"), event.get("thread_ts")) in self.threads
        )

    def reply(self, event: dict[str, Any], context: Any, client: Any, say: Any,
              set_status: Any, set_title: Any) -> None:
        if not self.host.claim(event["channel"], event["ts"]):  # the same message through another event
            return
        turn = self.in_flight.begin(inflight.pane_notice(say, set_status))
        try:
            self._reply(event, context, client, say, set_status, set_title, turn)
        finally:
            turn.done()

    def _reply(self, event: dict[str, Any], context: Any, client: Any, say: Any,
               set_status: Any, set_title: Any, turn: inflight.Turn) -> None:
        channel, thread_ts = event["channel"], event["thread_ts"]
        try:
            text = strip_mention(event.get("text", ""), context.bot_user_id)
            intent = intents.classify(text, sections=self.host.draft_sections())
            audience = pane_audience(event)
            messages: list[Message]
            if intent.kind == "help":
                messages = [self.host.help_card()]
            elif intent.kind == "draft":
                self._cosmetic(set_status, DRAFT_STATUS)
                notice = self.host.draft_into_thread(client, channel=channel, thread_ts=thread_ts,
                                                     args=intent.args, audience=audience)
                messages = [notice] if notice is not None else []  # [] = posted in the thread
            elif intent.kind == "events":
                self._cosmetic(set_status, ANSWER_STATUS)
                messages = [self.host.events_reply(intent.args, audience)]
            else:
                if self.threads.take_title((channel, thread_ts)):
                    self._cosmetic(set_title, thread_title(text))
                self._cosmetic(set_status, ANSWER_STATUS)
                history = self.host.begin_thread((channel, thread_ts), text)
                messages = self.host.cited_answer(text, history, audience, channel=channel,
                                                  thread_ts=thread_ts, user=event.get("user"),
                                                  via="assistant_pane")
        except Exception:
            self.logger.exception("Assistant pane reply failed in %s/%s", channel, thread_ts)
            messages = [blocks.simple(blocks.APOLOGY_TEXT)]
        if not turn.claim():  # a shutdown already told the user to ask again
            return
        try:
            for message in messages:  # the first post clears the status
                say(**message.as_kwargs())
        except Exception:
            self.logger.exception("Posting in assistant thread %s/%s failed", channel, thread_ts)
            self._cosmetic(set_status, "")

    def _cosmetic(self, fn: Any, value: str) -> None:
        """Status and title are decoration: a missing scope must not cost the answer."""
        try:
            fn(value)
        except Exception as e:
            self.logger.warning("Assistant pane decoration failed: %s", e)
