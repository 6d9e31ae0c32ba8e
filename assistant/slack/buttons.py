"""The buttons under an answer: 👍/👎 feedback and "Share in channel".

Sharing re-asks the question with the audience of the channel it would be posted in and shares
only if every document the private answer cites could be used there: posting the private answer
unchecked could leak a restricted document, and posting a different answer in the user's name
would surprise them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from assistant.access import Audience
from assistant.feedback import FeedbackStore
from assistant.models import Answer
from assistant.slack import audience, blocks
from assistant.slack.blocks import escape, render_answer, simple
from assistant.slack.payloads import answer_from_payload

SHARE_CHECK_K = 20  # retrieve as deep as the answerer does, so the re-check sees every source
NOT_SHARED_TEXT = (
    "I did not share this answer: it uses documents that not everyone in this conversation may "
    "see. Mention me here to get the answer this channel can see."
)
SHARE_CHECK_FAILED_TEXT = "Sorry, I could not check who may see this answer, so I did not share it."


@dataclass(kw_only=True)
class Buttons:
    service: Any  # AskService
    feedback: FeedbackStore
    logger: logging.Logger
    answer_slots: threading.BoundedSemaphore
    respond: Callable[[str | None, dict[str, Any]], bool]

    def record_feedback(self, body: dict[str, Any], action: dict[str, Any], client: Any) -> None:
        try:
            verdict = blocks.VERDICT_BY_ACTION[action["action_id"]]
            key = action.get("value", "")
            user = (body.get("user") or {}).get("id")
            channel = (body.get("channel") or {}).get("id")
            container = body.get("container") or {}
            message = body.get("message") or {}
            payload = self.feedback.load_answer(key)
            if payload is None:
                self.logger.warning("Feedback for unknown answer %r", key)
                self._notify(body, client, "Sorry, I no longer have that answer, so I could not save your feedback.")
                return
            self.feedback.record(
                question=payload["question"],
                answer_text=payload["answer"],
                sources=payload["sources"],
                verdict=verdict,  # type: ignore[arg-type]
                user=user,
                channel=channel,
                ts=container.get("message_ts") or message.get("ts"),
                answered=payload.get("answered"),
                answer_key=key,
            )
            self._notify(body, client, blocks.THANKS_TEXT)
        except Exception:
            self.logger.exception("Recording feedback failed")

    def _notify(self, body: dict[str, Any], client: Any, text: str) -> None:
        """Tell only the clicking user; an ephemeral container can only be reached by its url."""
        container = body.get("container") or {}
        user = (body.get("user") or {}).get("id")
        channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
        if not container.get("is_ephemeral") and channel and user:
            message = body.get("message") or {}
            try:
                client.chat_postEphemeral(
                    channel=channel,
                    user=user,
                    thread_ts=message.get("thread_ts") or message.get("ts"),
                    **simple(text).as_kwargs(),
                )
                return
            except Exception as e:
                self.logger.info("chat.postEphemeral failed (%s); using response_url", e)
        self.respond(
            body.get("response_url"),
            {"response_type": "ephemeral", "replace_original": False, **simple(text).as_kwargs()},
        )

    def share_answer(self, body: dict[str, Any], action: dict[str, Any], client: Any = None,
                     context: Any = None) -> None:
        """Post a private `/remix` answer to the channel, then remove the private copy.

        The check is made for everyone who will read it there: in a DM between people that
        is all of them, not the clicking user (``audience.for_action`` asks Slack)."""
        try:
            key = action.get("value", "")
            payload = self.feedback.load_answer(key)
            url = body.get("response_url")
            if payload is None:
                self.respond(url, {"response_type": "ephemeral", "replace_original": False,
                                    **simple("Sorry, I no longer have that answer.").as_kwargs()})
                return
            user = (body.get("user") or {}).get("id", "")
            answer = answer_from_payload(payload)
            try:
                target = audience.for_action(body, client=client,
                                             bot_user_id=getattr(context, "bot_user_id", None))
                refusal = None if self._visible_to(answer, target) else NOT_SHARED_TEXT
            except Exception:  # cannot check: do not share (fail closed)
                self.logger.exception("Share check failed for %s", key)
                refusal = SHARE_CHECK_FAILED_TEXT
            if refusal:
                self.respond(url, {"response_type": "ephemeral", "replace_original": False,
                                    **simple(refusal).as_kwargs()})
                return
            msg = render_answer(
                answer,
                key=key,
                header=f"<@{user}> asked: {escape(payload['question'])}",
            )
            if self.respond(url, {"response_type": "in_channel", "replace_original": False, **msg.as_kwargs()}):
                self.respond(url, {"delete_original": True})
        except Exception:
            self.logger.exception("Sharing answer failed")

    def _visible_to(self, answer: Answer, target: Audience) -> bool:
        """Re-ask with the target's audience: may every document ``answer`` cites be used there?

        The service filters retrieval by audience, so a document the target may not see can be
        neither cited nor retrieved in its answer. A cited document missing there means "not
        visible" (or not found again): either way the private answer is not shared.
        """
        cited = {c.doc_id for c in answer.citations}
        if not cited:
            return True
        with self.answer_slots:
            check = self.service.ask(answer.question, k=SHARE_CHECK_K, audience=target)
        visible = {c.doc_id for c in check.citations} | {h.chunk.doc_id for h in check.hits}
        return cited <= visible
