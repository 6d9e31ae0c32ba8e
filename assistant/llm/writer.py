"""`LLMWriter`: the `ProseWriter` for report drafting, over an OpenAI-compatible chat API."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Sequence

from pydantic import SecretStr

from ..errors import BackendError
from ..models import CitedSentence
from .client import ChatClient
from .grounding import ground
from .prompts import is_not_found, writer_messages

if TYPE_CHECKING:
    from ..config import Settings

log = logging.getLogger("assistant.llm")


@dataclass(slots=True, kw_only=True)
class LLMWriter:
    """Fluent, cited prose from numbered passages; only sentences that pass `grounding`.

    Raises BackendError (one line, never the key) when the backend fails, the model finds
    nothing to write, or no sentence survives verification, so the drafting code can fall back
    to extractive text."""

    base_url: str
    model: str
    api_key: SecretStr | str | None = field(default=None, repr=False)
    timeout: float = 30.0
    max_tokens: int | None = None
    backoff: float = 1.0
    _client: ChatClient = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._client = ChatClient(base_url=self.base_url, model=self.model, api_key=self.api_key,
                                  timeout=self.timeout, max_tokens=self.max_tokens,
                                  backoff=self.backoff)
        self.api_key = None  # the client holds it as a SecretStr

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMWriter | None:
        """The configured writer, or None when no LLM is configured (ASSISTANT_LLM_BASE_URL)."""
        if not settings.llm_base_url:
            return None
        return cls(base_url=settings.llm_base_url, model=settings.llm_model,
                   api_key=settings.llm_api_key, timeout=settings.llm_timeout,
                   max_tokens=getattr(settings, "llm_max_tokens", None))

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
