"""`remix-assistant status` and `doctor`: what the installation is, and whether it works.

Each doctor check is one line, OK / FAIL / SKIP, and a failure says what to do. Checks never
print a secret (a token is only said to be set, or to have the wrong prefix) and call the
network only where the user configured an endpoint (Slack's auth.test, the LLM), with a short
timeout; `--offline` skips those.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterator, Literal

from .config import SECRET_FIELDS, Settings, env_name, home_explained, is_default
from .errors import AssistantError

if TYPE_CHECKING:
    from .service import Assistant

Status = Literal["OK", "FAIL", "SKIP"]
NETWORK_TIMEOUT = 10.0  # seconds for auth.test and the LLM ping
MIN_PYTHON = (3, 11)

# What `status` shows: the settings that change what the bot knows or how it answers.
SHOWN_SETTINGS = (
    "corpus_dir", "index_dir", "data_dir", "cache_dir", "embedder", "k", "reranker",
    "threads", "batch_size", "max_file_bytes", "access_file", "upload_dir", "upload_max_bytes",
    "ingest_lock_timeout", "llm_base_url", "llm_model", "llm_api_key", "llm_timeout",
    "llm_max_tokens", "slack_bot_token", "slack_app_token", "slack_signing_secret",
    "slack_api_url", "slack_answer_concurrency", "slack_admins",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    """One doctor line: what was checked, how it went, and what to do when it failed."""

    name: str
    status: Status
    detail: str
    fix: str = ""

    def line(self) -> str:
        tail = f" — {self.fix}" if self.fix and self.status == "FAIL" else ""
        return f"{self.status:<4}  {self.name}: {self.detail}{tail}"

    def to_json(self) -> dict[str, str]:
        return {"check": self.name, "status": self.status, "detail": self.detail, "fix": self.fix}


# -- status ------------------------------------------------------------------------------------

def index_status(assistant: Assistant) -> dict[str, Any]:
    """The index in use: where, which version, built with what, how many documents."""
    store = assistant.store
    info: dict[str, Any] = {"index_dir": str(store.root.absolute()), "exists": store.exists(),
                            "default_folders_relative_to": home_explained()}
    if not store.exists():
        info["advice"] = "no index yet: run `remix-assistant ingest` (or ask a question)"
        return info
    reader = assistant.reader() if store.format_is_current() else None
    manifest = reader.manifest if reader is not None else {}
    files = reader.files().values() if reader is not None else []
    info.update({
        "version": os.path.basename(os.readlink(store.current)) if store.current.is_symlink()
        else None,
        "format": manifest.get("format"),
        "embedder": manifest.get("embedder"),
        "configured_embedder": assistant.embedder_name,
        "documents": len({f.doc_id for f in files}),
        "restricted_documents": len({f.doc_id for f in files if f.visibility.restricted}),
        "chunks": manifest.get("chunks"),
        "last_ingest": manifest.get("created"),
        "memory_version": manifest.get("memory"),
    })
    if reader is None:
        info["advice"] = "written by an older version: run `remix-assistant ingest` to rebuild"
    return info


def settings_status(settings: Settings) -> dict[str, dict[str, Any]]:
    """Each shown setting by its environment variable: value (secrets: 'set' or None) and
    whether it was set (environment, .env, option) or is the default."""
    out: dict[str, dict[str, Any]] = {}
    for field in SHOWN_SETTINGS:
        value = getattr(settings, field)
        if field in SECRET_FIELDS:
            value = "set (hidden)" if value is not None else None
        elif isinstance(value, list):
            value = ", ".join(value) or None
        elif value is not None and not isinstance(value, (int, float, bool)):
            value = str(value)
        out[env_name(field)] = {"value": value, "set": not is_default(settings, field)}
    return out


# -- doctor ------------------------------------------------------------------------------------

def run_checks(assistant: Assistant, *, offline: bool = False) -> Iterator[Check]:
    """Every check, in the order a newcomer would fix them."""
    yield _python()
    for check in (_embedder, _index, _access_file):
        yield _guarded(check, assistant)
    yield from _slack(assistant.settings, offline=offline)
    yield _llm(assistant.settings, offline=offline)


def _guarded(check: Callable[[Assistant], Check], assistant: Assistant) -> Check:
    """A check that raises fails with the error's first line, never a traceback."""
    try:
        return check(assistant)
    except Exception as exc:  # a doctor reports what is broken; it must not break itself
        name = check.__name__.strip("_").replace("_", " ")
        return Check(name=name, status="FAIL", detail=f"{type(exc).__name__}: {exc}",
                     fix="see the message; `remix-assistant status` shows the settings")


def _python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info[:2] >= MIN_PYTHON:
        return Check(name="python", status="OK", detail=f"{version} ({sys.executable})")
    return Check(name="python", status="FAIL", detail=f"{version} is too old",
                 fix="use Python 3.11 or newer (python3.11 -m venv .venv)")


def _embedder(assistant: Assistant) -> Check:
    """The configured embedder loads with no network and embeds a sentence."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from .embedding import make_query_embedder

    name = assistant.settings.embedder
    try:
        from .progress import working

        with working(f"loading the embedder {name}"):
            vector = make_query_embedder(name, cache_dir=assistant.settings.cache_dir
                                         ).embed_query("Which regions lead the partnership?")
    except (AssistantError, OSError, ImportError) as exc:
        return Check(name="embedder", status="FAIL", detail=f"{name}: {exc}",
                     fix="set ASSISTANT_EMBEDDER to e5 or minilm (both ship with the install), "
                         "or reinstall: pip install -e .")
    return Check(name="embedder", status="OK",
                 detail=f"{assistant.embedder_name} loads offline ({len(vector)} dimensions)")


def _index(assistant: Assistant) -> Check:
    store = assistant.store
    where = store.root.absolute()
    if not store.exists():
        corpus = assistant.settings.corpus_dir
        fix = (f"run `remix-assistant ingest` (reads {corpus})" if corpus.is_dir() else
               f"set ASSISTANT_CORPUS_DIR to your documents (no folder at {corpus.absolute()}), "
               "then run `remix-assistant ingest`")
        return Check(name="index", status="FAIL", detail=f"no index at {where}", fix=fix)
    try:
        reader = assistant.reader()
    except AssistantError as exc:
        return Check(name="index", status="FAIL", detail=str(exc),
                     fix="follow the message (re-ingest, or the setting it names)")
    return Check(name="index", status="OK",
                 detail=f"{where} opens: {len(reader.files())} files, {reader.size} chunks, "
                        f"embedder {reader.manifest.get('embedder')}")


def _access_file(assistant: Assistant) -> Check:
    from .ingest.access_rules import AccessRules

    path = assistant.settings.corpus_dir / assistant.settings.access_file
    if not path.is_file():
        return Check(name="access file", status="OK",
                     detail=f"none at {path} (every document is public unless its own "
                            "Visibility: header restricts it)")
    try:
        AccessRules.load(path)
    except AssistantError as exc:
        return Check(name="access file", status="FAIL", detail=str(exc),
                     fix="fix the file (see README, Access control); ingest refuses it until then")
    return Check(name="access file", status="OK", detail=f"{path} parses")


def _slack(settings: Settings, *, offline: bool) -> Iterator[Check]:
    """Token prefixes (the same rules as `remix-assistant slack`), then auth.test."""
    from .slack.runner import resolve_launch

    if settings.slack_bot_token is None and settings.slack_app_token is None:
        yield Check(name="slack tokens", status="SKIP",
                    detail="SLACK_BOT_TOKEN is not set (only needed for the Slack bot)")
        return
    try:
        launch = resolve_launch(settings)
    except AssistantError as exc:
        yield Check(name="slack tokens", status="FAIL", detail=str(exc),
                    fix="copy the tokens from the Slack app's settings (README, Slack)")
        return
    yield Check(name="slack tokens", status="OK",
                detail=f"prefixes right ({launch.mode.replace('socket', 'Socket Mode')} mode)")
    if offline:
        yield Check(name="slack auth.test", status="SKIP", detail="--offline")
        return
    yield _slack_auth(settings)


def _slack_auth(settings: Settings) -> Check:
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
    kwargs: dict[str, Any] = {"timeout": int(NETWORK_TIMEOUT)}
    if settings.slack_api_url:
        kwargs["base_url"] = settings.slack_api_url.rstrip("/") + "/"
    try:
        reply = WebClient(token=token, **kwargs).auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error", "error") if exc.response is not None else "error"
        return Check(name="slack auth.test", status="FAIL", detail=f"Slack says {error}",
                     fix="the bot token is wrong or revoked: copy the Bot User OAuth Token "
                         "(xoxb-…) again from OAuth & Permissions")
    except Exception as exc:  # network: DNS, refused, timeout, proxy
        return Check(name="slack auth.test", status="FAIL",
                     detail=f"Slack not reachable ({type(exc).__name__})",
                     fix="check the network or SLACK_API_URL; run with --offline to skip")
    return Check(name="slack auth.test", status="OK",
                 detail=f"bot {reply.get('user', '?')} in workspace {reply.get('team', '?')}")


def _llm(settings: Settings, *, offline: bool) -> Check:
    if not settings.llm_base_url:
        return Check(name="llm", status="SKIP",
                     detail="ASSISTANT_LLM_BASE_URL is not set (extractive answers only)")
    if offline:
        return Check(name="llm", status="SKIP", detail="--offline")
    from .llm.client import ChatClient

    client = ChatClient(base_url=settings.llm_base_url, model=settings.llm_model,
                        api_key=settings.llm_api_key,
                        timeout=min(settings.llm_timeout, NETWORK_TIMEOUT), max_tokens=5,
                        retries=0)
    try:
        client.complete([{"role": "user", "content": "Reply with the word OK."}])
    except Exception as exc:  # BackendError says what went wrong, without the key
        return Check(name="llm", status="FAIL", detail=f"{client.url}: {exc}",
                     fix="check ASSISTANT_LLM_BASE_URL, ASSISTANT_LLM_MODEL and "
                         "ASSISTANT_LLM_API_KEY; unset the URL to answer extractively")
    return Check(name="llm", status="OK",
                 detail=f"{client.url} answers with model {settings.llm_model}")
