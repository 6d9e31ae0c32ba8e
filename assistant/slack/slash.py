"""`/remix` subcommand dispatch, so new subcommands (e.g. `/remix draft …`) plug in by registration.

A subcommand is either *instant* (its reply is the ack body itself — must be fast, e.g. help)
or *deferred* (ack right away with ``working_text``, run after the ack and deliver the reply to
the command's ``response_url``). Text whose first word is no registered name goes to the
default subcommand ("ask"), so `/remix When did REMIX start?` just works.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from assistant.slack.blocks import Message


@dataclass(frozen=True, slots=True)
class Invocation:
    """One `/remix` call, reduced to what subcommands need (no bolt types leak in)."""

    args: str
    user_id: str
    channel_id: str
    response_url: str | None = None


@dataclass(frozen=True, slots=True)
class Subcommand:
    name: str
    usage: str  # e.g. "/remix draft SECTION"
    summary: str
    run: Callable[[Invocation], Message]
    instant: bool = False
    working_text: str = "Working on it…"


class SlashRouter:
    def __init__(self, *, command: str = "/remix", default: str = "ask") -> None:
        self.command = command
        self.default = default
        self._subcommands: dict[str, Subcommand] = {}

    def add(self, sub: Subcommand) -> None:
        self._subcommands[sub.name] = sub

    def usage_lines(self) -> list[str]:
        return [f"{s.usage} — {s.summary}" for s in self._subcommands.values()]

    def route(self, text: str) -> tuple[Subcommand, str]:
        """(subcommand, remaining args). Empty text routes to "help" when registered."""
        text = (text or "").strip()
        head, _, rest = text.partition(" ")
        if not text and "help" in self._subcommands:
            return self._subcommands["help"], ""
        sub = self._subcommands.get(head.lower())
        if sub is not None:
            return sub, rest.strip()
        return self._subcommands[self.default], text
