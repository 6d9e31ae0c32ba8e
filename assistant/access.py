"""Who may see a document, and who is asking.

A document is public unless the corpus access file (`access.toml`) or a `Visibility:` header
line restricts it to Slack channel ids and/or user ids. Retrieval filters on this before
ranking, so nothing downstream (answers, quotes, nearest sources, memory, drafts) can leak it.

Rules, conservative on purpose: in a channel, a restricted document is visible only when that
channel is allowed (everyone in the channel reads the answer); in the user's DM with the bot,
only when the user is allowed; in a DM or group DM between people, only when every one of them
is. The CLI is unrestricted unless it asks as a channel or user.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Visibility:
    channels: frozenset[str] = field(default_factory=frozenset)
    users: frozenset[str] = field(default_factory=frozenset)
    restricted: bool = False

    def to_json(self) -> dict:
        return {"restricted": self.restricted, "channels": sorted(self.channels),
                "users": sorted(self.users)}

    @classmethod
    def from_json(cls, data: dict | None) -> "Visibility":
        if not data or not data.get("restricted"):
            return PUBLIC
        return cls(frozenset(data.get("channels", ())), frozenset(data.get("users", ())), True)


PUBLIC = Visibility()


@dataclass(frozen=True, slots=True)
class Audience:
    """The context a question is asked in. `Audience.everyone()` is the unrestricted CLI."""

    channel: str | None = None
    user: str | None = None
    is_dm: bool = False  # the user's DM with the bot: only the user reads it
    unrestricted: bool = False
    # Everyone who reads a DM or group DM between people (see assistant/slack/audience.py):
    # a restricted document is visible there only if every one of them may see it.
    members: frozenset[str] = frozenset()

    @classmethod
    def everyone(cls) -> "Audience":
        return cls(unrestricted=True)

    @classmethod
    def slack(cls, *, channel: str | None, user: str | None,
              channel_type: str | None = None) -> "Audience":
        """From a Slack event/command: DMs are channel type 'im' (ids starting with 'D')."""
        is_dm = channel_type == "im" or (channel or "").startswith("D")
        return cls(channel=channel, user=user, is_dm=is_dm)

    def may_see(self, visibility: Visibility) -> bool:
        if self.unrestricted or not visibility.restricted:
            return True
        if self.is_dm:
            return self.user is not None and self.user in visibility.users
        if self.channel is not None and self.channel in visibility.channels:
            return True
        return bool(self.members) and self.members <= visibility.users
