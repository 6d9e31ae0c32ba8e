"""Slack listeners: mentions, DMs, thread follow-ups, `/remix`, feedback/share buttons, App Home,
document uploads by admins.

Every listener is split bolt's "lazy" way: a trivial ``ack`` that bolt runs before it answers
Slack's HTTP request (so Slack always gets its 200 within milliseconds, never after the 3 s
deadline) and a lazy function that bolt runs afterwards on its worker pool and that does the
slow work (retrieval, Web API calls). Cheap filtering (bots, subtypes, channel messages outside
threads) happens in listener *matchers*, i.e. before the ack, so ignored events cost nothing.

No retrieval or answering logic lives here: questions go to ``AskService.ask``; this module
only decides *whether* and *where* to answer and how to deliver it.

Access: every call into the service carries the ``Audience`` of the place where its result
becomes visible (``assistant.slack.audience``). Sharing a private `/remix` answer into the
channel re-asks the question with the channel's audience first (``assistant.slack.buttons``).
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Protocol

from slack_bolt import App, BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.webhook import WebhookClient

from assistant.access import Audience
from assistant.errors import AssistantError
from assistant.feedback import FeedbackStore
from assistant.models import Answer
from assistant.slack import agenda, audience, blocks, drafts, inflight, intents, listings, uploads
from assistant.slack.blocks import Message, escape, render_answer, simple
from assistant.slack import streaming
from assistant.slack.buttons import Buttons
from assistant.slack.drafts import DraftingKit
from assistant.slack.payloads import answer_payload
from assistant.slack.slash import Invocation, SlashRouter, Subcommand
from assistant.slack.threads import (
    ThreadKey,
    ThreadMemory,
    ThreadState,
    TTLSet,
    mentions,
    recover_thread,
    strip_mention,
)

WORKING_REACTION = "hourglass_flowing_sand"
_ANSWERABLE_SUBTYPES = (None, "thread_broadcast", "file_share")


class AskService(Protocol):
    """What the Slack layer needs from the assistant (real ``Assistant`` or a fake).

    ``ask`` is all a question needs; ``events``, ``draft``, ``add_document``, ``memory`` and
    ``sources`` back `/remix events`, `/remix draft`, uploads, `/remix regions|glossary` and
    `/remix sources` (a service without them answers questions only).
    """

    def ask(
        self,
        question: str,
        *,
        history: Sequence[str] = (),
        k: int | None = None,
        id: str | None = None,
        audience: Audience | None = None,
    ) -> Answer: ...


class AssistantService(AskService, Protocol):
    def events(self, *, start: date | None = None, end: date | None = None,
               audience: Audience | None = None) -> list[Any]: ...

    def draft(self, section: str, *, period: Any = None, audience: Audience | None = None) -> Any: ...

    def add_document(self, filename: str, data: bytes, *, added_by: str | None = None) -> Any: ...

    def memory(self, *, audience: Audience | None = None) -> Any: ...  # .regions, .terms

    def sources(self, *, audience: Audience | None = None) -> Any: ...  # service.SourcesOverview


# --------------------------------------------------------------------------- payload helpers


def new_key() -> str:
    """Short, unguessable id for a stored answer (goes into button values)."""
    return secrets.token_urlsafe(9)


def is_human(event: Mapping[str, Any], bot_user_id: str | None) -> bool:
    """Messages from any bot (including this one) must never trigger an answer (loops!)."""
    return bool(
        event.get("user")
        and not event.get("bot_id")
        and event.get("subtype") != "bot_message"
        and event.get("user") != bot_user_id
    )


def retry_number(headers: Mapping[str, Sequence[str]]) -> int:
    """How many times Slack has already delivered this event (0 = first delivery).

    HTTP mode sends ``X-Slack-Retry-Num: 1..3`` on retries only; in Socket Mode every envelope
    carries ``retry_attempt`` (0 on the first delivery) and bolt copies it into the same
    header, so the header's *presence* means nothing: only a number >= 1 is a retry. A value
    that is not a number is treated as a first delivery (answering twice beats never).
    """
    values = headers.get("x-slack-retry-num") or ()
    raw = values[0] if isinstance(values, (list, tuple)) and values else values
    try:
        return max(0, int(str(raw).strip()))
    except ValueError:
        return 0


def retry_and_duplicate_gate(*, seen: TTLSet, ignore_retries: bool = True) -> Any:
    """Global middleware: ack-and-drop Slack retries and redelivered events (same event_id).

    Runs after bolt's signature check, so forged requests cannot poison the cache. The
    200 response tells Slack to stop retrying; nothing else is done for the request.
    """

    def gate(body: dict[str, Any], request: Any, next: Any, logger: logging.Logger) -> Any:
        if body.get("type") == "event_callback":
            retry = retry_number(request.headers)
            event_id = body.get("event_id")
            if retry and ignore_retries:
                logger.info("Ignoring Slack retry %s of event %s", retry, event_id)
                return BoltResponse(status=200, body="")
            if event_id and not seen.add(event_id):
                logger.info("Ignoring duplicate delivery of event %s", event_id)
                return BoltResponse(status=200, body="")
        return next()

    return gate


# --------------------------------------------------------------------------- listeners


def _ack(ack: Any) -> None:
    ack()


@dataclass
class SlackHandlers:
    """All listeners, sharing the service, the feedback store and the bounded state."""

    service: AssistantService
    feedback: FeedbackStore
    memory: ThreadMemory = field(default_factory=ThreadMemory)
    claims: TTLSet = field(default_factory=lambda: TTLSet(ttl=3600))
    retry_handlers: Sequence[RetryHandler] = ()
    answer_concurrency: int = 1
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("assistant.slack"))
    router: SlashRouter = field(default_factory=SlashRouter)
    drafting: DraftingKit | None = None
    admins: frozenset[str] = frozenset()
    upload_max_bytes: int = 20 * 1024 * 1024
    in_flight: inflight.InFlight = field(default_factory=lambda: inflight.ANSWERS)  # closed on shutdown

    def __post_init__(self) -> None:
        self.stream_support = streaming.StreamSupport()  # does this workspace stream? (asked once)
        # The service may build its index on first use and is not promised to be thread-safe;
        # answers are therefore serialised by default (acks never wait on this).
        self._answer_slots = threading.BoundedSemaphore(max(1, self.answer_concurrency))
        self.intake = uploads.Intake(service=self.service, admins=frozenset(self.admins),
                                     max_bytes=self.upload_max_bytes, logger=self.logger)
        self.buttons = Buttons(service=self.service, feedback=self.feedback, logger=self.logger,
                               answer_slots=self._answer_slots, respond=self._respond)
        self.router.add(
            Subcommand(
                name="help",
                usage=f"{self.router.command} help",
                summary="what I know and how to ask",
                run=lambda inv: blocks.help_message(self.router.usage_lines()),
                instant=True,
            )
        )
        self.router.add(
            Subcommand(
                name="ask",
                usage=f"{self.router.command} QUESTION",
                summary="a private answer with sources, which you can share in the channel",
                run=self._slash_ask,
                working_text=blocks.WORKING_TEXT,
            )
        )
        cmd = self.router.command
        self.router.add(Subcommand(
            name="events", usage=f"{cmd} events [FROM] [TO]",
            summary="events with dates, places and sources (dates like 2020-02-12 or 2020-02)",
            run=self._slash_events, quick=self._events_usage_error,
            working_text="Looking up the events…",
        ))
        self.router.add(Subcommand(
            name="draft", usage=f"{cmd} draft SECTION [PERIOD]",
            summary="draft a report section in a thread here, with a .docx "
                    f"(`{cmd} draft list` shows the sections; PERIOD like 2020-01..2020-06)",
            run=self._slash_draft, quick=self._draft_quick,
            working_text="Drafting… I will post it in a thread in this conversation.",
        ))
        self.router.add(Subcommand(
            name="add", usage=f"{cmd} add [FILE_ID | PERMALINK]",
            summary="admins: how to add a document, or add a file already shared in Slack",
            run=self._slash_add, quick=self._add_quick,
            working_text="Adding the document…",
        ))
        self.router.add(Subcommand(
            name="regions", usage=f"{cmd} regions [ROLE]",
            summary="regions with country, NUTS code and role (ROLE: " + ", ".join(listings.ROLES) + ")",
            run=self._slash_regions, quick=self._regions_usage_error,
            working_text="Looking up the regions…",
        ))
        self.router.add(Subcommand(
            name="glossary", usage=f"{cmd} glossary TERM",
            summary="what an acronym stands for, as the documents define it (no TERM: all of them)",
            run=self._slash_glossary, working_text="Looking up the glossary…",
        ))
        self.router.add(Subcommand(
            name="sources", usage=f"{cmd} sources",
            summary="the documents I know here, and when the index was built",
            run=self._slash_sources, working_text="Listing the documents…",
        ))

    def register(self, app: App) -> None:
        app.event("app_mention", matchers=[self._mention_matcher])(
            ack=_ack, lazy=[self.answer_mention]
        )
        # before the generic message listener: bolt runs the first listener that matches
        app.event("message", matchers=[self._upload_matcher])(ack=_ack, lazy=[self.add_uploads])
        app.event("message", matchers=[self._message_matcher])(
            ack=_ack, lazy=[self.answer_message]
        )
        app.event("app_home_opened")(ack=_ack, lazy=[self.publish_home])
        app.command(self.router.command)(ack=self.ack_command, lazy=[self.run_command])
        app.action(re.compile(f"^({blocks.ACTION_HELPFUL}|{blocks.ACTION_NOT_HELPFUL})$"))(
            ack=_ack, lazy=[self.buttons.record_feedback]
        )
        app.action(blocks.ACTION_SHARE)(ack=_ack, lazy=[self.buttons.share_answer])
        # Everything else we are subscribed to (other bots, edits, channel chatter) gets a
        # plain 200 so Slack neither retries nor counts it as a failure.
        app.event(re.compile(".*"))(_ack)

    # ------------------------------------------------------------------ matchers (pre-ack)

    @staticmethod
    def _mention_matcher(event: dict[str, Any], context: Any) -> bool:
        if _is_dm_file(event):  # a file sent to the bot in a DM is an upload, not a question
            return False
        return is_human(event, context.bot_user_id) and event.get("subtype") in _ANSWERABLE_SUBTYPES

    @staticmethod
    def _upload_matcher(event: dict[str, Any], context: Any) -> bool:
        return is_human(event, context.bot_user_id) and _is_dm_file(event)

    @staticmethod
    def _message_matcher(event: dict[str, Any], context: Any) -> bool:
        if not is_human(event, context.bot_user_id) or event.get("subtype") not in _ANSWERABLE_SUBTYPES:
            return False
        text = event.get("text") or ""
        if event.get("channel_type") == "im":
            return bool(text.strip())
        # In channels only thread replies are candidates; mentions arrive as app_mention.
        thread_ts = event.get("thread_ts")
        return bool(thread_ts and thread_ts != event.get("ts") and not mentions(text, context.bot_user_id))

    # ------------------------------------------------------------------ mentions, DMs, threads

    def answer_mention(self, event: dict[str, Any], context: Any, client: Any) -> None:
        self._answer_event(event, context, client, only_in_bot_threads=False)

    def answer_message(self, event: dict[str, Any], context: Any, client: Any) -> None:
        self._answer_event(
            event, context, client, only_in_bot_threads=event.get("channel_type") != "im"
        )

    def _answer_event(
        self, event: dict[str, Any], context: Any, client: Any, *, only_in_bot_threads: bool
    ) -> None:
        try:
            channel, ts = event["channel"], event["ts"]
            thread_ts = event.get("thread_ts") or ts
            key = (channel, thread_ts)
            earlier: list[str] = []
            if thread_ts != ts:  # a reply in an existing thread
                state = self._thread_state(client, context, key, before_ts=ts)
                if only_in_bot_threads and not state.active:
                    return
                earlier = state.questions if state.active else []
            elif only_in_bot_threads:
                return
            if not self.claims.add((channel, ts)):  # same message via another event type
                return
            question = strip_mention(event.get("text", ""), context.bot_user_id)
            if not question or intents.is_greeting(question):  # "hi", "help", "?": not a search
                self._post(client, channel, thread_ts, self.help_card())
                return
            history = self.memory.begin(key, question, known=earlier)
            self._answer_in_thread(
                client,
                channel=channel,
                ts=ts,
                thread_ts=thread_ts,
                question=question,
                history=history,
                user=event.get("user"),
                audience=audience.for_event(event, client=client, bot_user_id=context.bot_user_id),
            )
        except Exception:
            self.logger.exception("Slack event handling failed: %s", _describe(event))

    def _thread_state(self, client: Any, context: Any, key: tuple[str, str], *, before_ts: str) -> ThreadState:
        state = self.memory.get(key)
        if state is not None:
            return state
        try:
            state = recover_thread(
                client,
                channel=key[0],
                thread_ts=key[1],
                before_ts=before_ts,
                bot_user_id=context.bot_user_id,
                bot_id=context.bot_id,
            )
        except Exception as e:  # missing scope, channel gone, Slack down: treat as unknown
            self.logger.warning("Could not read thread %s/%s: %s", key[0], key[1], e)
            return ThreadState(active=False)
        self.memory.put(key, state)  # also caches "not our thread" so we ask Slack once
        return state

    def _answer_in_thread(
        self,
        client: Any,
        *,
        channel: str,
        ts: str,
        thread_ts: str,
        question: str,
        history: Sequence[str],
        user: str | None,
        audience: Audience,
    ) -> None:
        self._react(client, "reactions_add", channel, ts)
        placeholder = self._post(client, channel, thread_ts, simple(blocks.WORKING_TEXT))
        turn = self.in_flight.begin(inflight.thread_notice(
            client, channel=channel, thread_ts=thread_ts, message_ts=ts, placeholder=placeholder,
            reaction=WORKING_REACTION))
        # With an LLM the answer's verified draft is shown as it is written (streaming.py);
        # the final answer replaces it, continued in further messages if it is that long.
        delivery = streaming.DraftDelivery(client=client, channel=channel, thread_ts=thread_ts,
                                           placeholder=placeholder, support=self.stream_support,
                                           user=user, logger=self.logger)
        try:
            try:
                key, answer = self._ask(
                    question, history, audience, on_draft=delivery.draft,
                    channel=channel, thread_ts=thread_ts, user=user,
                )
                messages = blocks.answer_messages(answer, key=key)
            except Exception:
                self.logger.exception("Answering failed for %s/%s", channel, ts)
                messages = [simple(blocks.APOLOGY_TEXT)]
            if turn.claim() and not delivery.finish(messages):
                delivery.finish([simple(blocks.APOLOGY_TEXT)])
        finally:
            self._react(client, "reactions_remove", channel, ts)
            turn.done()

    def _ask(
        self, question: str, history: Sequence[str], audience: Audience,
        on_draft: Callable[[str], None] | None = None, **meta: Any
    ) -> tuple[str | None, Answer]:
        key = new_key()
        with self._answer_slots:
            answer = streaming.ask(self.service, question, on_draft=on_draft,
                                   history=list(history), id=key, audience=audience)
        try:
            self.feedback.save_answer(key, answer_payload(answer, **meta))
        except Exception:  # the answer is still worth posting, just without feedback buttons
            self.logger.exception("Could not store answer %s; posting it without buttons", key)
            return None, answer
        return key, answer

    # ------------------------------------------------------------------ Web API helpers

    def _post(self, client: Any, channel: str, thread_ts: str | None, message: Message) -> str | None:
        try:
            resp = client.chat_postMessage(channel=channel, thread_ts=thread_ts, **message.as_kwargs())
            return str(resp["ts"])
        except Exception:
            self.logger.exception("chat.postMessage failed in %s", channel)
            return None

    def _deliver(
        self, client: Any, channel: str, thread_ts: str | None, placeholder: str | None,
        message: Message,
    ) -> bool:
        """Replace the placeholder with ``message`` (or post it if there is none)."""
        try:
            if placeholder:
                client.chat_update(channel=channel, ts=placeholder, **message.as_kwargs())
            else:
                client.chat_postMessage(channel=channel, thread_ts=thread_ts, **message.as_kwargs())
            return True
        except Exception:
            self.logger.exception("Delivering the answer failed in %s", channel)
            return False

    def _react(self, client: Any, method: str, channel: str, ts: str) -> None:
        try:
            getattr(client, method)(channel=channel, timestamp=ts, name=WORKING_REACTION)
        except Exception as e:  # cosmetic: never let the hourglass break an answer
            self.logger.debug("%s failed: %s", method, e)

    def _respond(self, url: str | None, payload: dict[str, Any]) -> bool:
        """POST to a response_url (with the same retry handlers as the Web API client)."""
        if not url:
            self.logger.warning("No response_url to deliver to")
            return False
        try:
            resp = WebhookClient(url, timeout=10, retry_handlers=list(self.retry_handlers)).send_dict(payload)
        except Exception:
            self.logger.exception("response_url post failed")
            return False
        if resp.status_code != 200:
            self.logger.warning("response_url answered %s: %s", resp.status_code, resp.body)
        return resp.status_code == 200

    # ------------------------------------------------------------------ /remix

    def ack_command(self, ack: Any, command: dict[str, Any]) -> None:
        sub, args = self.router.route(command.get("text", ""))
        try:
            msg = sub.immediate(self._invocation(command, args))
        except Exception:
            self.logger.exception("%s %s failed", self.router.command, sub.name)
            msg = simple(blocks.APOLOGY_TEXT)
        if msg is not None:
            ack(response_type="ephemeral", **msg.as_kwargs())
        else:
            ack(response_type="ephemeral", text=sub.working_text)

    def run_command(self, command: dict[str, Any], client: Any = None) -> None:
        sub, args = self.router.route(command.get("text", ""))
        inv = self._invocation(command, args, client)
        turn = self.in_flight.begin(inflight.response_notice(command.get("response_url")))
        try:
            try:
                if sub.immediate(inv) is not None:
                    turn.claim()  # answered in the ack: nothing to close on shutdown
                    return
                msg = sub.run(inv)
            except AssistantError as e:  # the user can act on it (unknown section, bad period, ...)
                msg = simple(str(e))
            except Exception:
                self.logger.exception("%s %s failed", self.router.command, sub.name)
                msg = simple(blocks.APOLOGY_TEXT)
            if msg is not None and turn.claim():
                self._respond(command.get("response_url"), {"response_type": "ephemeral", **msg.as_kwargs()})
        finally:
            turn.done()

    @staticmethod
    def _invocation(command: Mapping[str, Any], args: str, client: Any = None) -> Invocation:
        return Invocation(
            args=args,
            user_id=command.get("user_id", ""),
            channel_id=command.get("channel_id", ""),
            response_url=command.get("response_url"),
            channel_name=command.get("channel_name", ""),
            client=client,
        )

    def _slash_ask(self, inv: Invocation) -> Message:
        if not inv.args:
            return blocks.help_message(self.router.usage_lines())
        key, answer = self._ask(inv.args, (), inv.audience, channel=inv.channel_id, user=inv.user_id,
                                via="slash", dm=inv.in_dm)
        return render_answer(answer, key=key, share=key is not None, header=f"*Q:* {escape(inv.args)}")

    # ------------------------------------------------------------------ /remix events

    @staticmethod
    def _events_usage_error(inv: Invocation) -> Message | None:
        try:
            agenda.parse_range(inv.args)
        except ValueError as e:
            return simple(str(e))
        return None

    def _slash_events(self, inv: Invocation) -> Message:
        start, end = agenda.parse_range(inv.args)
        with self._answer_slots:
            events = self.service.events(start=start, end=end, audience=inv.audience)
        return agenda.events_message(events, start, end)

    # ------------------------------------------------------------------ /remix draft

    def _draft_quick(self, inv: Invocation) -> Message | None:
        """Lists, usage errors and "not available" straight from the ack; None = draft it."""
        try:
            request = drafts.parse_args(inv.args)
        except ValueError as e:
            return simple(str(e))
        if request is None or self.drafting is None:
            return drafts.sections_message(self.drafting, self.router.command)
        return None

    def _slash_draft(self, inv: Invocation) -> Message:
        kit, request = self.drafting, drafts.parse_args(inv.args)
        assert kit is not None and request is not None  # _draft_quick answered otherwise
        with self._answer_slots:  # built only from what the conversation may see
            draft = self.service.draft(request.section, period=request.period, audience=inv.audience)
        title = drafts.section_title(kit, request.section)
        thread = self._draft_parent(inv, f"Draft: {title} ({request.label()})")
        if thread is None:
            return simple("I cannot post in this channel: invite me with `/invite @Remix Assistant`, "
                          "or run the command in a direct message with me.")
        channel, parent_ts = thread
        self._post_draft(inv.client, channel, parent_ts, kit, request, draft)
        return simple(f"Posted the draft of *{title}* ({request.label()}) in a thread here.")

    def _post_draft(self, client: Any, channel: str, thread_ts: str, kit: DraftingKit,
                    request: drafts.DraftRequest, draft: Any) -> None:
        """The draft as thread messages within Slack's limits, then its .docx."""
        title = drafts.section_title(kit, request.section)
        for message in drafts.draft_messages(kit.render_markdown(draft)):
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, **message.as_kwargs())
        try:
            client.files_upload_v2(
                channel=channel, thread_ts=thread_ts, file=kit.render_docx(draft),
                filename=drafts.docx_filename(request), title=f"Draft: {title} ({request.label()})",
            )
        except Exception:
            self.logger.exception("Attaching the .docx of %s failed", request.section)
            self._post(client, channel, thread_ts, simple("Sorry, I could not attach the .docx."))

    def _draft_parent(self, inv: Invocation, text: str) -> tuple[str, str] | None:
        """Post the thread's parent message: (channel, ts), or None when the bot may not post.

        In a DM between people the bot cannot post; its own DM with the user (channel=user id)
        has the same audience (the user), so the draft goes there instead.
        """
        message = simple(text)
        targets = [inv.channel_id] + ([inv.user_id] if inv.in_dm and inv.user_id else [])
        for target in targets:
            try:
                resp = inv.client.chat_postMessage(channel=target, **message.as_kwargs())
                return str(resp.get("channel") or target), str(resp["ts"])
            except SlackApiError as e:
                self.logger.info("Cannot post the draft in %s: %s", target, e.response.get("error"))
        return None

    # ------------------------------------------------------------------ /remix regions, glossary, sources

    @staticmethod
    def _regions_usage_error(inv: Invocation) -> Message | None:
        try:
            listings.parse_role(inv.args)
        except ValueError as e:
            return simple(str(e))
        return None

    def _slash_regions(self, inv: Invocation) -> Message:
        role = listings.parse_role(inv.args)
        with self._answer_slots:
            regions = self.service.memory(audience=inv.audience).regions
        return listings.regions_message(regions, role)

    def _slash_glossary(self, inv: Invocation) -> Message:
        with self._answer_slots:
            terms = self.service.memory(audience=inv.audience).terms
        return listings.glossary_message(terms, inv.args)

    def _slash_sources(self, inv: Invocation) -> Message:
        with self._answer_slots:
            overview = self.service.sources(audience=inv.audience)
        return listings.sources_message(overview)

    # ------------------------------------------------------------------ shared with the AI-app pane
    # (``assistant.slack.pane.PaneHost``): the pane answers, drafts and lists exactly as here.

    def help_card(self) -> Message:
        return blocks.help_message(self.router.usage_lines())

    def claim(self, channel: str, ts: str) -> bool:
        """True the first time a message is seen (one answer per message, whatever the path)."""
        return self.claims.add((channel, ts))

    def begin_thread(self, key: ThreadKey, question: str) -> list[str]:
        """Record ``question`` in a pane thread; the questions asked there before it (a pane
        thread starts in this process, so memory holds all of them)."""
        return self.memory.begin(key, question)

    def cited_answer(self, question: str, history: Sequence[str], audience: Audience,
                     **meta: Any) -> list[Message]:
        """The answer as a DM gets it (continued over several messages when it is that long)."""
        try:
            key, answer = self._ask(question, history, audience, **meta)
            return blocks.answer_messages(answer, key=key)
        except Exception:
            self.logger.exception("Answering failed: %s", meta)
            return [simple(blocks.APOLOGY_TEXT)]

    def events_reply(self, args: str, audience: Audience) -> Message:
        try:
            start, end = agenda.parse_range(args)
        except ValueError as e:
            return simple(str(e))
        with self._answer_slots:
            events = self.service.events(start=start, end=end, audience=audience)
        return agenda.events_message(events, start, end)

    def draft_sections(self) -> Collection[str]:
        return tuple(self.drafting.SECTIONS) if self.drafting is not None else ()

    def draft_into_thread(self, client: Any, *, channel: str, thread_ts: str, args: str,
                          audience: Audience) -> Message | None:
        """`/remix draft` posted straight into an existing thread: None when posted, else the
        reply to give instead (the sections list, a usage error, the user's actionable error)."""
        kit = self.drafting
        try:
            request = drafts.parse_args(args)
        except ValueError as e:
            return simple(str(e))
        if kit is None or request is None or request.section not in kit.SECTIONS:
            return drafts.sections_message(kit, self.router.command)
        try:
            with self._answer_slots:
                draft = self.service.draft(request.section, period=request.period, audience=audience)
        except AssistantError as e:
            return simple(str(e))
        self._post_draft(client, channel, thread_ts, kit, request, draft)
        return None

    # ------------------------------------------------------------------ uploads

    def _add_quick(self, inv: Invocation) -> Message | None:
        if not self.intake.is_admin(inv.user_id):
            return simple(uploads.NOT_ADMIN)
        if not inv.args:
            return simple(uploads.HOW_TO_ADD.format(limit=uploads.megabytes(self.upload_max_bytes)))
        if uploads.file_id_from_arg(inv.args) is None:
            return simple(f"`{escape(inv.args)}` is neither a Slack file id (F…) nor a file "
                          f"permalink. " + uploads.HOW_TO_ADD.format(
                              limit=uploads.megabytes(self.upload_max_bytes)))
        return None

    def _slash_add(self, inv: Invocation) -> Message:
        file_id = uploads.file_id_from_arg(inv.args)
        assert file_id is not None  # _add_quick answered otherwise
        return simple(self.intake.add(inv.client, {"id": file_id}, user=inv.user_id))

    def add_uploads(self, event: dict[str, Any], client: Any) -> None:
        """Files sent to the bot in a DM: admins' files are added, anyone else is refused."""
        try:
            channel, user = event["channel"], event.get("user", "")
            if not self.claims.add((channel, event["ts"])):
                return
            thread_ts = event.get("thread_ts")
            if not self.intake.is_admin(user):  # refused without downloading anything
                self._post(client, channel, thread_ts, simple(uploads.NOT_ADMIN))
                return
            for file in event.get("files") or []:
                name = str(file.get("name") or file.get("id") or "the file")
                placeholder = self._post(client, channel, thread_ts, simple(f"Reading {name}…"))
                try:
                    outcome = self.intake.add(client, file, user=user)
                except Exception:
                    self.logger.exception("Adding an uploaded file failed")
                    outcome = f"Sorry, something went wrong while adding {name}."
                self._deliver(client, channel, thread_ts, placeholder, simple(outcome))
        except Exception:
            self.logger.exception("Upload handling failed: %s", _describe(event))

    # ------------------------------------------------------------------ buttons

    # ------------------------------------------------------------------ App Home

    def publish_home(self, event: dict[str, Any], client: Any) -> None:
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        try:
            client.views_publish(user_id=event["user"], view=blocks.home_view())
        except Exception:
            self.logger.exception("views.publish failed for %s", event.get("user"))


def _is_dm_file(event: Mapping[str, Any]) -> bool:
    in_dm = event.get("channel_type") == "im" or str(event.get("channel", "")).startswith("D")
    return in_dm and bool(event.get("files")) and event.get("subtype") in (None, "file_share")


def _describe(event: Mapping[str, Any]) -> str:
    return f"{event.get('type')} in {event.get('channel')} ts={event.get('ts')}"
