"""`/remix` subcommand dispatch, so new subcommands (e.g. `/remix draft …`) plug in by registration.

A subcommand is either *instant* (its reply is the ack body itself — must be fast, e.g. help)
or *deferred* (ack right away with ``working_text``, run after the ack and deliver the reply to
the command's ``response_url``). A deferred subcommand may also have a ``quick`` check that
answers from the ack when no slow work is needed (usage errors, lists, refusals), so a typo
costs no worker and no "Working on it…" that never resolves. Text whose first word is no
registered name goes to the default subcommand ("ask"), so `/remix When did REMIX start?` just
works.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assistant.access import Audience
from assistant.slack import audience as audiences
from assistant.slack.blocks import Message


@dataclass(frozen=True, slots=True)
class Invocation:
    """One `/remix` call, reduced to what subcommands need (no bolt types leak in)."""

    args: str
    user_id: str
    channel_id: str
    response_url: str | None = None
    channel_name: str = ""
    client: Any = field(default=None, compare=False, repr=False)  # the Web API client, for posting

    @property
    def in_dm(self) -> bool:
        return self.channel_name == "directmessage" or self.channel_id.startswith("D")

    @property
    def audience(self) -> Audience:
        """Who can read what this command posts: the channel; the user only in their DM with
        the bot; everyone in any other DM (asks Slack: see ``assistant.slack.audience``)."""
        return audiences.for_command({"channel_id": self.channel_id, "user_id": self.user_id,
                                      "channel_name": self.channel_name}, client=self.client)


@dataclass(frozen=True, slots=True)
class Subcommand:
    name: str
    usage: str  # e.g. "/remix draft SECTION"
    summary: str
    # The (deferred) work. Returns the ephemeral reply, or None when it delivered by itself.
    run: Callable[[Invocation], Message | None]
    instant: bool = False
    working_text: str = "Working on it…"
    # Answer in the ack when possible; None means "defer to ``run``". Must be fast.
    quick: Callable[[Invocation], Message | None] | None = None

    def immediate(self, inv: Invocation) -> Message | None:
        """The ack body when this call needs no deferred work, else None."""
        if self.instant:
            return self.run(inv)
        return self.quick(inv) if self.quick else None


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
