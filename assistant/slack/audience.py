"""Who will read a reply: the `Audience` for each kind of Slack request.

The rule everywhere is "the audience of the place where the text becomes visible", not "who
asked": a mention in #general is read by the whole channel, a DM only by its user. Access
checks themselves live in ``assistant.access``; this module only reads the Slack payloads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assistant.access import Audience


def for_event(event: Mapping[str, Any]) -> Audience:
    """Mentions, DMs and thread follow-ups (``app_mention`` carries no channel_type; its
    DM channel ids start with "D", which ``Audience.slack`` recognises)."""
    return Audience.slack(channel=event.get("channel"), user=event.get("user"),
                          channel_type=event.get("channel_type"))


def for_command(command: Mapping[str, Any]) -> Audience:
    """Slash commands: DMs have ``channel_name == "directmessage"`` (or a "D…" channel id)."""
    in_dm = command.get("channel_name") == "directmessage"
    return Audience.slack(channel=command.get("channel_id"), user=command.get("user_id"),
                          channel_type="im" if in_dm else None)


def for_action(body: Mapping[str, Any]) -> Audience:
    """Button clicks: the channel the message is in, the clicking user."""
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    user = (body.get("user") or {}).get("id")
    return Audience.slack(channel=channel, user=user)
