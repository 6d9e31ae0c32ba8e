"""A tiny error hierarchy: every error a user can meet says what to do next."""


class AssistantError(Exception):
    """Base class for errors that are shown to users as one line, never as a traceback."""


class ConfigError(AssistantError):
    """A setting is missing or malformed (e.g. a Slack token)."""


class LoadError(AssistantError):
    """One input file could not be read; the ingest run reports it and goes on."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class IndexMissingError(AssistantError):
    """No index exists where one was expected."""


class IndexMismatchError(AssistantError):
    """The index on disk was built with another embedder or format: the user must re-ingest."""


class BackendError(AssistantError):
    """An optional backend (LLM, reranker) failed or is misconfigured."""


class UploadRejected(AssistantError):
    """A document sent to the bot was refused (type, size, unreadable, not an admin)."""


class IndexBusyError(AssistantError):
    """Another ingest holds the index lock."""
