"""A small client for the OpenAI-compatible `/chat/completions` endpoint.

The same request works against OpenAI, Azure OpenAI, Ollama, vLLM and the llama.cpp server,
so one POST with the standard library (urllib; httpx is not a dependency) is all we need, no
SDK. `complete` waits for the whole reply; `stream` yields it as the model writes it, from the
same API with `"stream": true` (server-sent events: `data: {...}` chunks whose
`choices[0].delta.content` is the next piece of text, ending with `data: [DONE]`). What this
module adds is the part that is easy to get wrong:

- the URL: `base_url` may end with `/v1`, with `/chat/completions`, or be an Azure deployment
  URL with an `?api-version=` query, which is kept;
- the key: `Authorization: Bearer KEY`, or Azure's `api-key: KEY` header when the URL carries
  `api-version` (or when `auth="api-key"`); the key is held as a SecretStr and scrubbed from
  every error message, so it can never reach a log, a Slack reply or a traceback line;
- failures: one retry after a short wait on 429 and 5xx (rate limits and restarts are
  transient), none on timeouts (waiting twice would double the user's wait); every failure is
  a `BackendError` with a one-line reason. A stream is retried only before its first piece
  (text already shown cannot be taken back by a retry); a stream that breaks off, or ends
  without `[DONE]` or a finish reason, is a failure too, never a silently short answer.
"""

from __future__ import annotations

import http.client
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Literal, Sequence, TypeVar

from pydantic import SecretStr

from ..errors import BackendError

T = TypeVar("T")

log = logging.getLogger("assistant.llm")

Auth = Literal["auto", "bearer", "api-key"]
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_WAIT = 8.0  # longest wait before the retry, whatever Retry-After asks for
MAX_REASON = 200  # characters of a server's error message kept in our one-line reason
MAX_REPLY_BYTES = 4 * 1024 * 1024


def chat_url(base_url: str) -> str:
    """`…/chat/completions` under `base_url`, keeping its query (Azure's `api-version`)."""
    parts = urllib.parse.urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BackendError(f"ASSISTANT_LLM_BASE_URL must be an http(s) URL, e.g. "
                           f"http://127.0.0.1:8000/v1 (got {_display(base_url)!r})")
    path = parts.path.rstrip("/")
    if not path.endswith("/chat/completions"):
        path += "/chat/completions"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def _display(url: str) -> str:
    """The URL without user:password@ and query, fit for messages and logs."""
    parts = urllib.parse.urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))


@dataclass(slots=True, kw_only=True)
class ChatClient:
    """POSTs chat messages and returns the first choice's text; raises BackendError."""

    base_url: str
    model: str
    api_key: SecretStr | str | None = field(default=None, repr=False)
    timeout: float = 30.0
    max_tokens: int | None = None
    temperature: float | None = 0.0  # None: leave it out (some reasoning models reject it)
    retries: int = 1
    backoff: float = 1.0  # seconds before a retry when the server gives no Retry-After
    auth: Auth = "auto"
    _url: str = field(init=False, repr=False)
    _key: SecretStr | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._url = chat_url(self.base_url)
        key = self.api_key
        self._key = SecretStr(key) if isinstance(key, str) and key else (key or None)
        self.api_key = None  # only the SecretStr copy is kept

    @property
    def url(self) -> str:
        return _display(self._url)

    def complete(self, messages: Sequence[dict[str, str]]) -> str:
        """The assistant message's text ('' when the model sent none)."""
        body = json.dumps(self._body(messages)).encode("utf-8")
        return self._retrying(lambda: _content(self._post(body)))

    def _retrying(self, call: Callable[[], T]) -> T:
        """``call()``, retried after 429/5xx (``retries`` times, honouring Retry-After); every
        error leaves as a BackendError whose message never shows the key."""
        attempt = 0
        while True:
            try:
                return call()
            except _Retryable as exc:
                if attempt >= self.retries:
                    raise BackendError(self._clean(exc.reason)) from None
                wait = min(max(exc.retry_after or 0.0, self.backoff), MAX_WAIT)
                log.info("LLM backend %s: %s; retrying in %.1f s", self.url,
                         self._clean(exc.reason), wait)
                time.sleep(wait)
                attempt += 1
            except BackendError as exc:
                raise BackendError(self._clean(str(exc))) from None

    def stream(self, messages: Sequence[dict[str, str]]) -> Iterator[str]:
        """The assistant message's text piece by piece, as the server sends it. A server that
        ignores `"stream": true` and answers with one JSON completion yields it whole."""
        body = json.dumps({**self._body(messages), "stream": True}).encode("utf-8")
        # retried only until the response starts: after the first piece, a retry could repeat text
        response = self._retrying(lambda: self._open(body, accept="text/event-stream"))
        try:
            with response:
                if "json" in (response.headers.get("Content-Type") or ""):
                    yield _content(self._decode(response.read(MAX_REPLY_BYTES + 1)))
                    return
                yield from self._events(response)
        except BackendError as exc:
            raise BackendError(self._clean(str(exc))) from None
        except (OSError, http.client.HTTPException) as exc:
            raise BackendError(self._clean(self._broken(exc))) from None

    def _events(self, response: Any) -> Iterator[str]:
        """Text deltas of a server-sent event stream; BackendError when it breaks off."""
        finished = False
        for payload in self._payloads(response):
            if payload.strip() == "[DONE]":
                return
            text, done = _delta(payload)
            finished = finished or done
            if text:
                yield text
        if not finished:
            raise BackendError(f"the reply stream from {self.url} ended before it was complete")

    def _payloads(self, response: Any) -> Iterator[str]:
        """The `data:` payload of each server-sent event (the last one even without its blank
        line), within MAX_REPLY_BYTES."""
        size, data = 0, []
        for raw in response:
            size += len(raw)
            if size > MAX_REPLY_BYTES:
                raise BackendError(f"reply from {self.url} is larger than {MAX_REPLY_BYTES} bytes")
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
            elif not line and data:  # a blank line ends an event; "event:", "id:", ":" skipped
                yield "\n".join(data)
                data = []
        if data:
            yield "\n".join(data)

    # -- request ----------------------------------------------------------------------------

    def _body(self, messages: Sequence[dict[str, str]]) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "messages": list(messages)}
        if self.temperature is not None:
            body["temperature"] = self.temperature
        if self.max_tokens:
            body["max_tokens"] = self.max_tokens
        return body

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._key is not None:
            secret = self._key.get_secret_value()
            azure = "api-version=" in urllib.parse.urlsplit(self._url).query
            if self.auth == "api-key" or (self.auth == "auto" and azure):
                headers["api-key"] = secret
            else:
                headers["Authorization"] = f"Bearer {secret}"
        return headers

    def _post(self, body: bytes) -> Any:
        """One POST; the decoded JSON reply. Transient failures raise _Retryable."""
        response = self._open(body)
        try:
            with response:
                raw = response.read(MAX_REPLY_BYTES + 1)
        except (OSError, http.client.HTTPException) as exc:
            raise BackendError(self._broken(exc)) from None
        return self._decode(raw)

    def _broken(self, exc: BaseException) -> str:
        if isinstance(exc, TimeoutError):
            return f"no reply from {self.url} within {self.timeout:g} s"
        return f"connection to {self.url} failed: {type(exc).__name__} {exc}"

    def _decode(self, raw: bytes) -> Any:
        if len(raw) > MAX_REPLY_BYTES:
            raise BackendError(f"reply from {self.url} is larger than {MAX_REPLY_BYTES} bytes")
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise BackendError(f"reply from {self.url} is not JSON: {_snippet(raw)}") from None

    def _open(self, body: bytes, *, accept: str = "application/json") -> Any:
        """The POST's open response (status 2xx). Transient failures raise _Retryable."""
        headers = {**self._headers(), "Accept": accept}
        request = urllib.request.Request(self._url, data=body, headers=headers, method="POST")
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            with exc:
                detail = _error_detail(exc.read(4096))
            reason = f"HTTP {exc.code} from {self.url}" + (f": {detail}" if detail else "")
            if exc.code in RETRY_STATUS:
                raise _Retryable(reason, _retry_after(exc.headers.get("Retry-After"))) from None
            raise BackendError(reason + _hint(exc.code)) from None
        except TimeoutError:
            raise BackendError(f"no reply from {self.url} within {self.timeout:g} s") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise BackendError(f"no reply from {self.url} within {self.timeout:g} s") from None
            raise BackendError(f"cannot reach {self.url}: {exc.reason}") from None
        except (OSError, http.client.HTTPException) as exc:
            raise BackendError(self._broken(exc)) from None

    def _clean(self, reason: str) -> str:
        """One line, short, and never the key (servers do echo a wrong key back)."""
        if self._key is not None:
            secret = self._key.get_secret_value()
            if secret:
                reason = reason.replace(secret, "***")
        reason = " ".join(reason.split())
        return reason if len(reason) <= 2 * MAX_REASON else reason[: 2 * MAX_REASON - 1] + "…"


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def _content(data: Any) -> str:
    """choices[0].message.content as text; a list of text parts is joined."""
    try:
        choice = data["choices"][0]
        content = choice["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise BackendError(f"reply is not a chat completion (no choices[0].message): "
                           f"{_snippet(json.dumps(data).encode())}") from None
    if content is None:
        return ""
    if isinstance(content, list):  # [{"type": "text", "text": ...}, ...]
        texts = [p.get("text") for p in content if isinstance(p, dict)]
        if all(isinstance(t, str) for t in texts):
            return "".join(texts)  # type: ignore[arg-type]
    if not isinstance(content, str):
        raise BackendError("reply's message content is not text")
    return content


def _delta(payload: str) -> tuple[str, bool]:
    """(choices[0].delta.content, whether a finish_reason came) of one stream event."""
    try:
        data = json.loads(payload)
    except json.JSONDecodeError:
        raise BackendError(f"stream event is not JSON: {_snippet(payload.encode())}") from None
    if isinstance(data, dict) and data.get("error"):
        raise BackendError(f"the model stopped with an error: "
                           f"{_error_detail(json.dumps(data).encode())}")
    try:
        choices = data["choices"]
    except (KeyError, TypeError):
        raise BackendError(f"stream event is not a chat completion chunk: "
                           f"{_snippet(payload.encode())}") from None
    if not choices:  # usage-only chunk (stream_options.include_usage)
        return "", False
    choice = choices[0] if isinstance(choices[0], dict) else {}
    delta = choice.get("delta") or {}
    content = delta.get("content") if isinstance(delta, dict) else None
    if isinstance(content, list):
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    if content is not None and not isinstance(content, str):
        raise BackendError("stream chunk's delta content is not text")
    return content or "", bool(choice.get("finish_reason"))


def _error_detail(raw: bytes) -> str:
    """The server's own error message ({"error": {"message": …}} or {"error": "…"})."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return _snippet(raw)
    error = data.get("error", data) if isinstance(data, dict) else data
    if isinstance(error, dict):
        error = error.get("message") or error
    return _snippet(str(error).encode())


def _snippet(raw: bytes) -> str:
    text = " ".join(raw.decode("utf-8", "replace").split())
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:  # an HTTP date: rare from these servers, use our own backoff
        return None


def _hint(status: int) -> str:
    if status in (401, 403):
        return " (check ASSISTANT_LLM_API_KEY)"
    if status == 404:
        return " (check ASSISTANT_LLM_BASE_URL and ASSISTANT_LLM_MODEL)"
    return ""


__all__ = ["ChatClient", "chat_url"]


@dataclass(slots=True, kw_only=True)
class ChatBackend:
    """What the LLM answerer and writer share: their connection settings and the client built
    from them (which keeps the key as a SecretStr; the plain copy is dropped)."""

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
        self.api_key = None

    @staticmethod
    def settings_kwargs(settings: Any) -> dict[str, Any]:
        """The connection settings from the settings model (ASSISTANT_LLM_*)."""
        return {"base_url": settings.llm_base_url or "", "model": settings.llm_model,
                "api_key": settings.llm_api_key, "timeout": settings.llm_timeout,
                "max_tokens": settings.llm_max_tokens}
