"""`LLMWriter`: the `ProseWriter` for report drafting, over an OpenAI-compatible chat API."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence


from ..errors import BackendError
from ..models import CitedSentence
from .client import ChatBackend
from .grounding import ground
from .prompts import is_not_found, writer_messages

if TYPE_CHECKING:
    from ..config import Settings

log = logging.getLogger("assistant.llm")


@dataclass(slots=True, kw_only=True)
class LLMWriter(ChatBackend):
    """Fluent, cited prose from numbered passages; only sentences that pass `grounding`.

    Raises BackendError (one line, never the key) when the backend fails, the model finds
    nothing to write, or no sentence survives verification, so the drafting code can fall back
    to extractive text."""

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMWriter | None:
        """The configured writer, or None when no LLM is configured (ASSISTANT_LLM_BASE_URL)."""
        if not settings.llm_base_url:
            return None
        return cls(**cls.settings_kwargs(settings))

    def write(self, *, task: str, passages: Sequence[str]) -> list[CitedSentence]:
        if not passages:
            raise BackendError("no passages to write from")
        reply = self._client.complete(writer_messages(task, passages))
        if is_not_found(reply):
            raise BackendError("the model found nothing in the passages for this task")
        sentences = ground(reply, passages)
        if not sentences:
            raise BackendError("no sentence of the model's reply cites a passage that "
                               "supports it")
        return sentences


__all__ = ["LLMWriter"]
