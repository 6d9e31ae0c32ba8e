"""Build the bolt ``App``: Web API client, middleware and listeners, ready for either transport.

Why ``process_before_response=True``: bolt then runs our (trivial) ack functions on the request
thread and returns Slack's 200 immediately, while the lazy functions run on the worker pool. With
the default (False) the ack functions would share that pool with slow answers and, under load,
could miss Slack's 3-second deadline.
"""

from __future__ import annotations

import logging
import secrets
from concurrent.futures import Executor, ThreadPoolExecutor

from pydantic import SecretStr
from slack_bolt import App
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.http_retry import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    RetryHandler,
)

from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.feedback import FeedbackStore
from assistant.slack import logsafety
from assistant.slack.drafts import DraftingKit, load_kit
from assistant.slack.handlers import (
    AssistantService,
    SlackHandlers,
    retry_and_duplicate_gate,
)
from assistant.slack.pane import AssistantPane
from assistant.slack.threads import ThreadMemory, TTLSet

log = logging.getLogger("assistant.slack")


def secret(value: SecretStr | str | None) -> str | None:
    if value is None:
        return None
    raw = value.get_secret_value() if isinstance(value, SecretStr) else value
    return raw.strip() or None


def default_retry_handlers() -> list[RetryHandler]:
    """429s sleep for Retry-After (never spin); dropped connections get 2 retries.

    No retry on 5xx: Slack may already have posted the message, and a duplicate answer is
    worse than an apology.
    """
    return [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=3),
    ]


def make_web_client(settings: Settings, *, timeout: int = 30) -> WebClient:
    base_url = settings.slack_api_url or WebClient.BASE_URL
    return WebClient(
        token=secret(settings.slack_bot_token),
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        timeout=timeout,
        retry_handlers=default_retry_handlers(),
    )


def build_app(
    *,
    service: AssistantService,
    settings: Settings,
    feedback: FeedbackStore,
    client: WebClient | None = None,
    memory: ThreadMemory | None = None,
    executor: Executor | None = None,
    logger: logging.Logger | None = None,
    ignore_retries: bool = True,
    answer_concurrency: int = 1,
    dedupe_ttl: float = 3600.0,
    drafting: DraftingKit | None = None,
) -> App:
    """A configured App. Calls ``auth.test`` once (bolt needs the bot's user id).

    ``drafting`` defaults to ``assistant.drafting``, imported here at start-up rather than on
    the first `/remix draft` (whose section list is sent within Slack's 3-second ack).

    Raises ConfigError when Slack rejects the token or cannot be reached.
    """
    client = client or make_web_client(settings)
    logsafety.install()  # a rejected (badly signed) request is logged without its body
    # No signing secret (Socket Mode): bolt still verifies HTTP requests; a random secret means
    # every HTTP request fails verification instead of an empty, forgeable key.
    signing_secret = secret(settings.slack_signing_secret) or secrets.token_hex(32)
    try:
        app = App(
            name="remix-assistant",
            client=client,
            signing_secret=signing_secret,
            process_before_response=True,
            request_verification_enabled=True,
            ignoring_self_events_enabled=True,
            listener_executor=executor or ThreadPoolExecutor(max_workers=16, thread_name_prefix="slack"),
            logger=logger,
        )
    except BoltError as e:
        response = getattr(e.__context__, "response", None)  # the SlackApiError bolt wrapped
        code = response.get("error") if response is not None else None
        raise ConfigError(
            f"Slack rejected SLACK_BOT_TOKEN (auth.test: {code or e}); check the token (the README, section Slack)."
        ) from None
    except OSError as e:  # URLError: connection refused, DNS, TLS
        raise ConfigError(f"Could not reach the Slack API at {client.base_url}: {e}") from None

    app.use(retry_and_duplicate_gate(seen=TTLSet(ttl=dedupe_ttl), ignore_retries=ignore_retries))
    handlers = SlackHandlers(
        service=service,
        feedback=feedback,
        memory=memory or ThreadMemory(),
        claims=TTLSet(ttl=dedupe_ttl),
        retry_handlers=default_retry_handlers(),
        answer_concurrency=answer_concurrency,
        logger=logger or log,
        drafting=drafting or load_kit(),
        admins=frozenset(settings.slack_admins),
        upload_max_bytes=settings.upload_max_bytes,
    )
    # The AI-app pane after the gate (a redelivered event never reaches it) and before the
    # listeners: it takes the assistant-thread events and the messages of its own threads only.
    app.assistant(AssistantPane(host=handlers, logger=logger or log).middleware())
    handlers.register(app)
    return app
