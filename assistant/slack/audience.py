"""Who will read a reply: the `Audience` for each kind of Slack request.

The rule everywhere is "the audience of the place where the text becomes visible", not "who
asked": a mention in #general is read by the whole channel, a DM only by its user.

A direct-message channel ("D…", channel type ``im``) is private to the asking user only when it
is the DM between that user and the bot: a user can also run `/remix` (and click Share) in a DM
with a colleague, and everything posted there is read by both. So a DM or group DM (``mpim``)
is resolved with ``conversations.members``: the bot's own DM with the user gives the user's
audience; any other gives everyone in it (a restricted document only if all of them may see
it). When the members cannot be looked up (no ``im:read``/``mpim:read`` scope, a DM the bot is
not in), only the channel rule applies: in practice, public documents only. Access checks
themselves live in ``assistant.access``; this module reads Slack payloads and asks Slack.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from assistant.access import Audience

logger = logging.getLogger("assistant.slack")

_MAX_MEMBER_PAGES = 10  # DMs have 2 members, group DMs at most 9: one page in practice
_bot_users: dict[tuple[str, str], str] = {}  # (API url, token) -> the bot's user id


def for_event(event: Mapping[str, Any], *, client: Any = None,
              bot_user_id: str | None = None) -> Audience:
    """Mentions, DMs and thread follow-ups (``app_mention`` carries no channel_type; its
    DM channel ids start with "D")."""
    channel = event.get("channel")
    kind = event.get("channel_type") or ("im" if str(channel or "").startswith("D") else None)
    return for_conversation(channel=channel, user=event.get("user"), kind=kind, client=client,
                            bot_user_id=bot_user_id)


def for_command(command: Mapping[str, Any], *, client: Any = None,
                bot_user_id: str | None = None) -> Audience:
    """Slash commands: DMs have ``channel_name == "directmessage"`` (or a "D…" channel id),
    group DMs a channel name starting "mpdm-"."""
    return for_conversation(channel=command.get("channel_id"), user=command.get("user_id"),
                            kind=_kind_from_name(command.get("channel_id"),
                                                 command.get("channel_name")),
                            client=client, bot_user_id=bot_user_id)


def for_action(body: Mapping[str, Any], *, client: Any = None,
               bot_user_id: str | None = None) -> Audience:
    """Button clicks: the conversation the message is in, the clicking user."""
    container = body.get("container") or {}
    channel_info = body.get("channel") or {}
    channel = channel_info.get("id") or container.get("channel_id")
    user = (body.get("user") or {}).get("id")
    return for_conversation(channel=channel, user=user,
                            kind=_kind_from_name(channel, channel_info.get("name")),
                            client=client, bot_user_id=bot_user_id)


def _kind_from_name(channel: str | None, name: str | None) -> str | None:
    if name == "directmessage" or str(channel or "").startswith("D"):
        return "im"
    if str(name or "").startswith("mpdm-"):
        return "mpim"
    return None


def for_conversation(*, channel: str | None, user: str | None, kind: str | None,
                     client: Any = None, bot_user_id: str | None = None) -> Audience:
    """The audience of a conversation; ``kind`` is Slack's channel type ("im", "mpim", …)."""
    if kind not in ("im", "mpim"):
        return Audience(channel=channel, user=user)
    members = _members(client, channel)
    if members is None:  # unknown readers: the channel rule only (public documents in practice)
        return Audience(channel=channel, user=user)
    bot = bot_user_id or _bot_user_id(client)
    readers = (members - {bot}) | ({user} if user else set())
    if kind == "im" and bot in members and readers == {user}:
        return Audience(channel=channel, user=user, is_dm=True)  # the user's DM with the bot
    return Audience(channel=channel, user=user, members=frozenset(readers))


def _members(client: Any, channel: str | None) -> frozenset[str] | None:
    """Everyone in a DM or group DM (None when Slack will not say)."""
    if client is None or not channel:
        return None
    members: set[str] = set()
    cursor = None
    try:
        for _ in range(_MAX_MEMBER_PAGES):
            resp = client.conversations_members(channel=channel, cursor=cursor, limit=200)
            members.update(str(m) for m in resp.get("members") or ())
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return frozenset(members)
    except Exception as exc:  # missing scope, not a member, Slack down: readers unknown
        logger.info("conversations.members failed for %s (%s): public documents only", channel, exc)
        return None
    return None  # too many pages for a DM: treat the readers as unknown


def _bot_user_id(client: Any) -> str | None:
    """The bot's user id (from ``auth.test``, once per token)."""
    key = (str(getattr(client, "base_url", "")), str(getattr(client, "token", "")))
    if key not in _bot_users:
        try:
            _bot_users[key] = str(client.auth_test()["user_id"])
        except Exception as exc:
            logger.info("auth.test failed (%s): cannot tell the bot's own DMs apart", exc)
            return None
    return _bot_users[key]
